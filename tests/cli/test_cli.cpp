// cli: does the built `nesim` binary do what a user types, write the contract files, and turn
// every bad input into exit status 2 with one line naming the culprit and no output file?
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/csv_table.h"

namespace fs = std::filesystem;
using nlohmann::json;
namespace test = nesim::test;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kHw = kRoot + "/hwconfigs/ne-pf16.yaml";

struct Run {
  int status = -1;
  std::string out, err;
  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

// A scratch folder per test case, removed at the end.
struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name) {
    static int counter = 0;
    dir = fs::temp_directory_path() / fmt::format("nesim_cli_{}_{}_{}", name, getpid(), counter++);
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  size_t files() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
  }

  // Runs `nesim <args>` with `env` prefixed, capturing stdout, stderr and the exit status.
  Run nesim(const std::string& args, const std::string& env = "") const {
    fs::path out = dir / ".stdout", err = dir / ".stderr";
    std::string cmd = fmt::format("{} '{}' {} >'{}' 2>'{}'", env, NESIM_BINARY, args, out.string(),
                                  err.string());
    int raw = std::system(cmd.c_str());
    Run r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    fs::remove(out);
    fs::remove(err);
    return r;
  }
};

// A small network with a residual block, a strided block and a classifier head.
const char* kTinyModel = R"(name: tiny
input: [3, 32, 32]
defaults: {act: relu6}
stem:
  - {type: conv, out: 16, kernel: 3, stride: 2}
stages:
  - blocks:
      - {type: ibn, out: 16, expand: 4, kernel: 3, stride: 1}
      - {type: ibn, out: 24, expand: 4, kernel: 3, stride: 2}
head:
  - {type: global_pool}
  - {type: fc, name: fc, out: 10}
)";

std::string tiny_model(const Scratch& s, const std::string& name = "tiny") {
  std::string text = kTinyModel;
  text.replace(text.find("tiny"), 4, name);
  std::string p = s.path(name + ".yaml");
  spit(p, text);
  return p;
}

std::vector<std::string> csv_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Every bad-input path: status 2, exactly one line on stderr that mentions `needle`.
void check_input_error(const Run& r, const std::string& needle) {
  CHECK(r.status == 2);
  auto lines = r.err_lines();
  CHECK_MESSAGE(lines.size() == 1, r.err);
  CHECK_MESSAGE(r.err.rfind("nesim: error: ", 0) == 0, r.err);
  CHECK_MESSAGE(r.err.find(needle) != std::string::npos, "expected '", needle, "' in: ", r.err);
}

}  // namespace

TEST_SUITE("cli: help and version") {
  TEST_CASE("--help, --version and --help on every command") {
    Scratch s("help");
    Run top = s.nesim("--help");
    CHECK(top.status == 0);
    for (const char* cmd : {"info", "simulate", "sweep", "hwconfig-doc"}) {
      CHECK_MESSAGE(top.out.find(cmd) != std::string::npos, cmd);
      Run sub = s.nesim(fmt::format("{} --help", cmd));
      CHECK_MESSAGE(sub.status == 0, cmd);
      CHECK_MESSAGE(sub.out.find("--help") != std::string::npos, cmd);
    }
    CHECK(s.nesim("simulate --help").out.find("--trace") != std::string::npos);
    CHECK(s.nesim("sweep --help").out.find("--jobs") != std::string::npos);
    Run version = s.nesim("--version");
    CHECK(version.status == 0);
    CHECK(version.out.rfind("nesim ", 0) == 0);
  }

  TEST_CASE("no command, an unknown command or an unknown flag is a usage error") {
    Scratch s("usage");
    CHECK(s.nesim("").status == 2);
    check_input_error(s.nesim("frobnicate"), "frobnicate");
    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --bogus", tiny_model(s), kHw)),
                      "--bogus");
    check_input_error(s.nesim(fmt::format("simulate --hw {}", kHw)), "--model");
    check_input_error(s.nesim(fmt::format("info --model {} --precision int4", tiny_model(s))), "int4");
  }

  TEST_CASE("hwconfig-doc prints the key reference") {
    Scratch s("doc");
    Run r = s.nesim("hwconfig-doc");
    CHECK(r.status == 0);
    CHECK(r.out.find("`mac_array.pf`") != std::string::npos);
    CHECK(r.out.find("`sram.kib`") != std::string::npos);
  }
}

TEST_SUITE("cli: experiment") {
  TEST_CASE("bad seed and training counts exit 2 before the study's folder is made") {
    Scratch s("experiment_flags");
    for (const char* bad : {"--train-seeds -1", "--train-seeds 1000", "--train-epochs 0", "--seeds 0"}) {
      Run r = s.nesim(fmt::format("experiment classifier --out {} {}", s.path("exp"), bad));
      CAPTURE(bad);
      CHECK(r.status == 2);
      CHECK_FALSE(fs::exists(s.path("exp")));
    }
  }
}

TEST_SUITE("cli: batch") {
  TEST_CASE("--batch N: totals for the batch, per image on the console, batch fields in --json") {
    Scratch s("batch");
    std::string model = tiny_model(s);
    Run one = s.nesim(fmt::format("simulate --model {} --hw {} --json {}", model, kHw, s.path("1.json")));
    REQUIRE_MESSAGE(one.status == 0, one.err);
    CHECK(one.out.find("images/s") == std::string::npos);
    Run three = s.nesim(fmt::format("simulate --model {} --hw {} --batch 3 --json {}", model, kHw, s.path("3.json")));
    REQUIRE_MESSAGE(three.status == 0, three.err);
    CHECK(three.out.find("batch          3 images") != std::string::npos);
    json j1 = json::parse(slurp(s.path("1.json"))), j3 = json::parse(slurp(s.path("3.json")));
    CHECK_FALSE(j1.contains("batch"));
    CHECK(j3["batch"] == 3);
    CHECK(j3["macs"].get<int64_t>() == 3 * j1["macs"].get<int64_t>());
    CHECK(j3["images_per_s"].get<double>() > 0);

    Run zero = s.nesim(fmt::format("simulate --model {} --hw {} --batch 0", model, kHw));
    CHECK(zero.status == 2);
    CHECK(zero.err.find("--batch") != std::string::npos);
    spit(s.path("b.yaml"), "input: [3, 16, 16]\nbatch: 2\nstem: [{type: conv, out: 8}]\n");
    Run predict = s.nesim(fmt::format("predict --regressor {}/traces/regressor-ne-pf.json --model {} --hw {}", kRoot,
                                      s.path("b.yaml"), kHw));
    CHECK(predict.status == 2);
    CHECK(predict.err.find("batch 2") != std::string::npos);
  }
}

TEST_SUITE("cli: info") {
  TEST_CASE("summary on stdout, contract fields in --json") {
    Scratch s("info");
    std::string model = tiny_model(s);
    Run r = s.nesim(fmt::format("info --model {} --json {}", model, s.path("info.json")));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("tiny") != std::string::npos);
    CHECK(r.out.find("params") != std::string::npos);
    json j = json::parse(slurp(s.path("info.json")));
    for (const char* key : {"name", "input", "layers", "params", "macs", "peak_activation_bytes",
                            "peak_is_exact", "precision"})
      CHECK_MESSAGE(j.contains(key), key);
    CHECK(j["name"] == "tiny");
    CHECK(j["input"] == json({{"c", 3}, {"h", 32}, {"w", 32}}));
    CHECK(j["layers"].get<int>() > 5);
    CHECK(j["macs"].get<int64_t>() > 0);
    CHECK(j["precision"] == "int8");

    Run to_stdout = s.nesim(fmt::format("info --model {} --json - --precision fp16", model));
    REQUIRE(to_stdout.status == 0);
    json fp16 = json::parse(to_stdout.out);  // stdout holds the JSON alone
    CHECK(fp16["precision"] == "fp16");
    CHECK(fp16["params"] == j["params"]);
    CHECK(fp16["peak_activation_bytes"].get<int64_t>() == 2 * j["peak_activation_bytes"].get<int64_t>());
  }

  TEST_CASE("the shipped MobileNetV2 reports its published size") {
    Scratch s("info_mnv2");
    Run r = s.nesim(fmt::format("info --model {}/models/mobilenet_v2.yaml --json -", kRoot));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    json j = json::parse(r.out);
    CHECK(j["params"] == 3504872);
    CHECK(j["input"]["h"] == 224);
  }

  TEST_CASE("bad model files: missing, bad YAML, unknown key") {
    Scratch s("info_bad");
    std::string out = s.path("info.json");
    check_input_error(s.nesim(fmt::format("info --model {} --json {}", s.path("nope.yaml"), out)),
                      "nope.yaml");
    spit(s.path("broken.yaml"), "name: broken\ninput: [3, 32, 32\nstem: {\n");
    check_input_error(s.nesim(fmt::format("info --model {} --json {}", s.path("broken.yaml"), out)),
                      "broken.yaml");
    spit(s.path("typo.yaml"), "name: typo\ninput: [3, 8, 8]\nstem:\n  - {type: conv, out: 8, kernal: 3}\n");
    Run typo = s.nesim(fmt::format("info --model {} --json {}", s.path("typo.yaml"), out));
    check_input_error(typo, "typo.yaml");
    CHECK(typo.err.find("kernal") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_SUITE("cli: simulate") {
  TEST_CASE("table on stdout; CSV, JSON and trace agree with each other") {
    Scratch s("sim");
    std::string model = tiny_model(s);
    Run r = s.nesim(fmt::format("simulate --model {} --hw {} --csv {} --json {} --trace {}", model,
                                kHw, s.path("l.csv"), s.path("r.json"), s.path("t.json")));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    CHECK(r.out.find("latency") != std::string::npos);
    CHECK(r.out.find("fc") != std::string::npos);
    CHECK(s.files() == 4);  // the three outputs and the model; no temporaries left

    json j = json::parse(slurp(s.path("r.json")));
    for (const char* key : {"model", "hw", "total_cycles", "latency_ms", "energy_uj", "macs", "params",
                            "dram_read_bytes", "dram_write_bytes", "mac_utilization", "layers"})
      CHECK_MESSAGE(j.contains(key), key);
    CHECK(j["model"] == "tiny");
    const json& layers = j["layers"];
    REQUIRE(layers.size() > 0);
    Run info = s.nesim(fmt::format("info --model {} --json -", model));
    CHECK(layers.size() == json::parse(info.out)["layers"].get<size_t>());
    int64_t total = j["total_cycles"], read = 0, written = 0, macs = 0;
    for (const json& l : layers) {
      for (const char* key : {"name", "op", "kernel", "start_cycle", "end_cycle", "total_cycles",
                              "compute_cycles", "stall_cycles", "dram_read_bytes", "dram_write_bytes",
                              "sram_peak_bytes", "mac_utilization", "energy_pj"})
        CHECK_MESSAGE(l.contains(key), key);
      CHECK(l["start_cycle"].get<int64_t>() <= l["end_cycle"].get<int64_t>());
      CHECK(l["end_cycle"].get<int64_t>() <= total);
      read += l["dram_read_bytes"].get<int64_t>();
      written += l["dram_write_bytes"].get<int64_t>();
      macs += l["macs"].get<int64_t>();
    }
    CHECK(read == j["dram_read_bytes"].get<int64_t>());
    CHECK(written == j["dram_write_bytes"].get<int64_t>());
    CHECK(macs == j["macs"].get<int64_t>());

    auto rows = csv_lines(slurp(s.path("l.csv")));
    REQUIRE(rows.size() == layers.size() + 1);
    CHECK(rows[0].rfind("model,hw,name,op,kernel", 0) == 0);  // the header first: data tools read it
    CHECK(rows[1].find(layers[0]["name"].get<std::string>()) != std::string::npos);
    CHECK(j["schema_version"] == 1);

    json t = json::parse(slurp(s.path("t.json")));
    CHECK(t["displayTimeUnit"] == "ns");
    std::set<std::string> tracks;
    size_t complete = 0;
    for (const json& e : t["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == "thread_name") tracks.insert(e["args"]["name"].get<std::string>());
      if (e["ph"] == "X") {
        ++complete;
        CHECK(e["dur"].get<double>() >= 0);
      }
    }
    CHECK(complete > 0);
    CHECK(tracks.count("mac_array") == 1);
    CHECK(tracks.count("dma0") == 1);
  }

  TEST_CASE("the same inputs give the same bytes") {
    Scratch s("sim_det");
    std::string model = tiny_model(s);
    for (const char* name : {"a", "b"}) {
      Run r = s.nesim(fmt::format("simulate --model {} --hw {} --csv {}.csv --json {}.json --trace {}.trace",
                                  model, kHw, s.path(name), s.path(name), s.path(name)));
      REQUIRE(r.status == 0);
    }
    CHECK(slurp(s.path("a.csv")) == slurp(s.path("b.csv")));
    CHECK(slurp(s.path("a.json")) == slurp(s.path("b.json")));
    CHECK(slurp(s.path("a.trace")) == slurp(s.path("b.trace")));
  }

  TEST_CASE("--set overrides a hardware key and is recorded in the JSON") {
    Scratch s("sim_set");
    std::string model = tiny_model(s);
    Run base = s.nesim(fmt::format("simulate --model {} --hw {} --json -", model, kHw));
    Run wide = s.nesim(fmt::format("simulate --model {} --hw {} --set mac_array.pf=64 --json -", model, kHw));
    REQUIRE(base.status == 0);
    REQUIRE_MESSAGE(wide.status == 0, wide.err);
    json b = json::parse(base.out), w = json::parse(wide.out);
    CHECK_FALSE(b.contains("set"));
    CHECK(w["set"]["mac_array.pf"] == "64");
    CHECK(w["total_cycles"] != b["total_cycles"]);
  }

  TEST_CASE("bad inputs: hw file, --set key and value, output paths") {
    Scratch s("sim_bad");
    std::string model = tiny_model(s), json_out = s.path("r.json");
    auto sim = [&](const std::string& extra) {
      return s.nesim(fmt::format("simulate --model {} --hw {} --json {} {}", model, kHw, json_out, extra));
    };
    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --json {}", model,
                                          s.path("none.yaml"), json_out)),
                      "none.yaml");
    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --json {}",
                                          s.path("missing.yaml"), kHw, json_out)),
                      "missing.yaml");
    check_input_error(sim("--set mac_aray.pf=8"), "mac_aray.pf");
    check_input_error(sim("--set mac_array.pf=abc"), "abc");
    check_input_error(sim("--set mac_array.pf=8,16"), "sweep");
    check_input_error(sim("--set mac_array.pf"), "mac_array.pf");
    check_input_error(sim("--set mac_array.pf=8 --set mac_array.pf=16"), "twice");
    // Banks gate the SRAM streams (a step's cycles divide by them): none is not a config.
    check_input_error(sim("--set sram.banks=0"), "sram.banks");
    check_input_error(sim("--set sram.banks=1.5"), "sram.banks");
    check_input_error(sim("--set energy.sram_size_exponent=-1"), "energy.sram_size_exponent");
    CHECK(s.files() == 1);  // only the model: nothing was written

    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --csv {}", model, kHw,
                                          s.path("no_dir/l.csv"))),
                      "cannot write " + s.path("no_dir/l.csv"));
    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --csv {} --json {}", model, kHw,
                                          s.path("l.csv"), s.dir.string())),
                      "is a directory");
    check_input_error(s.nesim(fmt::format("simulate --model {} --hw {} --csv {} --json {}", model, kHw,
                                          s.path("same"), s.path("same"))),
                      "same");
    CHECK(s.files() == 1);
  }
}

TEST_SUITE("cli: sweep") {
  TEST_CASE("grid rows, Pareto summary, and the same bytes for any --jobs") {
    Scratch s("sweep");
    std::string a = tiny_model(s, "tiny_a"), b = tiny_model(s, "tiny_b");
    std::string grid = fmt::format("sweep --model {} {} --hw {} --set mac_array.pf=8,16 "
                                   "--set sram.kib=256,512,1024",
                                   a, b, kHw);
    Run one = s.nesim(grid + fmt::format(" --jobs 1 --csv {} --json {}", s.path("1.csv"), s.path("1.json")));
    REQUIRE_MESSAGE(one.status == 0, one.err);
    Run two = s.nesim(grid + fmt::format(" --jobs 2 --csv {} --json {}", s.path("2.csv"), s.path("2.json")));
    REQUIRE_MESSAGE(two.status == 0, two.err);
    CHECK(slurp(s.path("1.csv")) == slurp(s.path("2.csv")));
    CHECK(slurp(s.path("1.json")) == slurp(s.path("2.json")));
    CHECK(one.out == two.out);

    auto rows = csv_lines(slurp(s.path("1.csv")));
    REQUIRE(rows.size() == 1 + 2 * 1 * 2 * 3);
    CHECK(rows[0].rfind("model,hw,mac_array.pf,sram.kib,total_cycles,latency_ms,energy_uj,", 0) == 0);
    CHECK(rows[0].find("area_proxy,status,error") != std::string::npos);
    CHECK(rows[1].rfind("tiny_a,ne-pf16,8,256,", 0) == 0);  // last key varies fastest
    CHECK(rows[2].rfind("tiny_a,ne-pf16,8,512,", 0) == 0);
    CHECK(rows[4].rfind("tiny_a,ne-pf16,16,256,", 0) == 0);
    CHECK(rows[7].rfind("tiny_b,", 0) == 0);
    for (size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].substr(rows[i].size() - 4) == ",ok,");
    CHECK(one.err.find("failed") == std::string::npos);

    CHECK(one.out.find("Pareto front for tiny_a") != std::string::npos);
    CHECK(one.out.find("Pareto front for tiny_b") != std::string::npos);
    CHECK(one.err.find("swept 12 runs") != std::string::npos);  // not a TTY: one plain line
    json j = json::parse(slurp(s.path("1.json")));
    CHECK(j["runs"].size() == 12);
    CHECK(j["pareto"].size() == 2);
  }

  TEST_CASE("bad keys and values fail before anything runs") {
    Scratch s("sweep_bad");
    std::string model = tiny_model(s), csv = s.path("s.csv");
    auto sweep = [&](const std::string& extra) {
      return s.nesim(fmt::format("sweep --model {} --hw {} --csv {} {}", model, kHw, csv, extra));
    };
    check_input_error(sweep("--set mac_array.pff=8,16"), "mac_array.pff");
    check_input_error(sweep("--set mac_array.pf=8,x16"), "x16");
    check_input_error(sweep("--set mac_array.pf=8,,16"), "empty value");
    check_input_error(sweep("--jobs 0"), "--jobs");
    check_input_error(s.nesim(fmt::format("sweep --model {} --hw {}", model, kHw)), "--csv");
    check_input_error(s.nesim(fmt::format("sweep --model {} {} --hw {} --csv {}", model,
                                          s.path("ghost.yaml"), kHw, csv)),
                      "ghost.yaml");
    check_input_error(s.nesim(fmt::format("sweep --model {} --hw {} --csv {}", model, kHw,
                                          s.path("no_dir/s.csv"))),
                      "cannot write");
    CHECK(s.files() == 1);
  }

  TEST_CASE("a worker that dies fails the sweep and leaves no CSV") {
    Scratch s("sweep_crash");
    std::string model = tiny_model(s), csv = s.path("s.csv");
    Run r = s.nesim(fmt::format("sweep --model {} --hw {} --set mac_array.pf=8,16,32 --jobs 2 --csv {}",
                                model, kHw, csv),
                    "NESIM_TEST_CRASH_JOB=1");
    CHECK(r.status != 0);
    CHECK(r.status != 2);  // not the user's fault
    CHECK_MESSAGE(r.err.find("killed by signal") != std::string::npos, r.err);
    CHECK_MESSAGE(r.err.find("mac_array.pf=16") != std::string::npos, r.err);
    CHECK(s.files() == 1);
  }

  TEST_CASE("a point that cannot be mapped is a row with status=error; the rest run; --strict exits 1") {
    // MnasNet's stem does not fit 4 KiB of SRAM, even in chunks narrower than the array.
    Scratch s("sweep_fail");
    std::string model = kRoot + "/models/mnasnet1_0.yaml";
    std::string grid = fmt::format("sweep --model {} --hw {} --set sram.kib=4,256,512 --jobs 2", model, kHw);
    Run r = s.nesim(grid + fmt::format(" --csv {} --json {}", s.path("s.csv"), s.path("s.json")));
    CHECK_MESSAGE(r.status == 0, r.err);
    test::CsvTable t = test::parse_csv(slurp(s.path("s.csv")));
    REQUIRE_MESSAGE(t.error.empty(), t.error);
    REQUIRE(t.rows.size() == 3);
    auto col = [&](const std::string& name) {
      auto it = std::find(t.header.begin(), t.header.end(), name);
      REQUIRE(it != t.header.end());
      return static_cast<size_t>(it - t.header.begin());
    };
    CHECK(t.rows[0][col("sram.kib")] == "4");
    CHECK(t.rows[0][col("status")] == "error");
    CHECK(!t.rows[0][col("error")].empty());
    CHECK(t.rows[0][col("latency_ms")].empty());
    for (size_t i : {1, 2}) {
      CHECK(t.rows[i][col("status")] == "ok");
      CHECK(t.rows[i][col("error")].empty());
      CHECK(std::stod(t.rows[i][col("latency_ms")]) > 0);
    }
    json j = json::parse(slurp(s.path("s.json")));
    CHECK(j["failed"] == 1);
    CHECK(j["runs"][0]["status"] == "error");
    CHECK(j["runs"][0]["error"] == t.rows[0][col("error")]);
    CHECK(j["runs"][0]["latency_ms"].is_null());
    for (const json& i : j["pareto"][0]["runs"]) CHECK(i.get<int>() != 0);
    CHECK(r.out.find("2 of 3 points (1 failed)") != std::string::npos);
    auto lines = r.err_lines();
    REQUIRE(!lines.empty());
    CHECK_MESSAGE(lines.back().rfind("nesim: 1 of 3 points failed (first: ", 0) == 0, r.err);
    CHECK(lines.back().find("sram.kib=4") != std::string::npos);

    // --strict: the same files, then exit 1.
    Run strict = s.nesim(grid + fmt::format(" --strict --csv {} --json {}", s.path("t.csv"), s.path("t.json")));
    CHECK(strict.status == 1);
    CHECK(slurp(s.path("t.csv")) == slurp(s.path("s.csv")));
    CHECK(slurp(s.path("t.json")) == slurp(s.path("s.json")));
  }
}

TEST_SUITE("cli: nesim check, the CI guard") {
  TEST_CASE("passes on the clean tree") {
    Scratch s("check_clean");
    Run r = s.nesim("check");
    CHECK(r.status == 0);
    CHECK(r.out.find("all checks hold") != std::string::npos);
  }

  TEST_CASE("fails on a perturbed golden, naming the layer and field") {
    Scratch s("check_golden");
    fs::path golden = s.dir / "golden";
    fs::create_directories(golden);
    std::string name = "mobilenet_v2_050__ne-pf16.csv";
    std::string text = slurp(fs::path(kRoot) / "traces" / "golden" / name);
    // Third data row: append a digit to its total_cycles (9th column).
    size_t row = 0;
    for (int i = 0; i < 4; ++i) row = text.find('\n', row) + 1;
    size_t col = row;
    for (int c = 0; c < 8; ++c) col = text.find(',', col) + 1;
    text.insert(col, "7");
    spit(golden / name, text);
    Run r = s.nesim(fmt::format("check --golden '{}' --regressor ''", golden.string()));
    CHECK(r.status == 1);
    CHECK(r.out.find("CHANGED") != std::string::npos);
    CHECK(r.out.find("total_cycles") != std::string::npos);
  }

  TEST_CASE("fails on a perturbed regressor") {
    Scratch s("check_regressor");
    std::string reg = slurp(fs::path(kRoot) / "traces" / "regressor-ne-pf.json");
    auto j = nlohmann::json::parse(reg);
    j["base_score"] = j["base_score"].get<double>() + 0.2;  // every prediction 22 % too slow
    spit(s.path("reg.json"), j.dump());
    Run r = s.nesim(fmt::format("check --regressor '{}'", s.path("reg.json")));
    CHECK(r.status == 1);
    CHECK(r.out.find("regressor FAILED") != std::string::npos);
  }

  TEST_CASE("bad thresholds, regressor or golden folder exit 2 with one clear line") {
    Scratch s("check_bad");
    spit(s.path("t.yaml"), "mape_pct_maximum: 3\n");
    Run r = s.nesim(fmt::format("check --thresholds '{}'", s.path("t.yaml")));
    CHECK(r.status == 2);
    CHECK(r.err.find("key 'mape_pct_maximum'") != std::string::npos);
    r = s.nesim(fmt::format("check --regressor '{}'", s.path("missing.json")));
    CHECK(r.status == 2);
    CHECK(r.err.find("cannot read the regressor: no such file") != std::string::npos);
    r = s.nesim(fmt::format("check --golden '{}'", s.path("nowhere")));
    CHECK(r.status == 2);
    CHECK(r.err.find("not a directory") != std::string::npos);
  }
}

TEST_SUITE("cli: nesim dataset, fit and predict") {
  TEST_CASE("dataset -> fit -> predict; the dataset's bytes do not depend on --jobs") {
    Scratch s("regressor_flow");
    std::string model = tiny_model(s);
    std::string ds = fmt::format("dataset --hw '{}' --set mac_array.pf=8,16 -m '{}' -m '{}/models/mobilenet_v2_050.yaml' "
                                 "--samples 12 --seed 4",
                                 kHw, model, kRoot);
    Run one = s.nesim(ds + fmt::format(" --jobs 1 --out '{}'", s.path("d1.csv")));
    Run two = s.nesim(ds + fmt::format(" --jobs 2 --out '{}'", s.path("d2.csv")));
    REQUIRE_MESSAGE(one.status == 0, one.err);
    REQUIRE_MESSAGE(two.status == 0, two.err);
    std::string text = slurp(s.path("d1.csv"));
    CHECK(text == slurp(s.path("d2.csv")));
    std::vector<std::string> lines = csv_lines(text);
    REQUIRE(lines.size() > 20);
    CHECK(lines[0].rfind("model,hw,kernel,kind,pipeline_cycles,cycles,", 0) == 0);
    // Both hardware points of the --set grid are in the rows.
    CHECK(text.find(",ne-pf16/mac_array.pf=8,") != std::string::npos);
    CHECK(text.find(",ne-pf16/mac_array.pf=16,") != std::string::npos);
    // Another seed samples other networks.
    Run other = s.nesim(ds.substr(0, ds.size() - 1) + fmt::format("5 --out '{}'", s.path("d3.csv")));
    REQUIRE(other.status == 0);
    CHECK(slurp(s.path("d3.csv")) != text);

    Run fit = s.nesim(fmt::format("fit --data '{}' --out '{}' --report '{}' --rounds 5", s.path("d1.csv"),
                                  s.path("r.json"), s.path("report.json")));
    REQUIRE_MESSAGE(fit.status == 0, fit.err);
    CHECK(fit.out.find("held_out network") != std::string::npos);
    json report = json::parse(slurp(s.path("report.json")));
    CHECK(report["held_out"]["network"]["n"].get<int>() > 0);
    CHECK(report["held_out"]["kernel"]["mape_pct"].get<double>() >= 0);

    Run pred = s.nesim(fmt::format("predict --regressor '{}' --model '{}' --hw '{}' --json '{}'", s.path("r.json"),
                                   model, kHw, s.path("p.json")));
    REQUIRE_MESSAGE(pred.status == 0, pred.err);
    json p = json::parse(slurp(s.path("p.json")));
    CHECK(p["model"] == "tiny");
    REQUIRE(p["kernels"].size() > 0);
    double sum = 0;
    std::set<std::string> predicted_kernels;
    for (const json& k : p["kernels"]) {
      CHECK(k["layers"].size() > 0);
      CHECK(k["cycles"].get<double>() > 0);
      sum += k["cycles"].get<double>();
      predicted_kernels.insert(k["name"].get<std::string>());
    }
    CHECK(std::abs(sum - p["total_cycles"].get<double>()) <= static_cast<double>(p["kernels"].size()));
    CHECK(p["latency_ms"].get<double>() > 0);
    // The same kernels the simulator reports its layers under.
    Run sim = s.nesim(fmt::format("simulate --model '{}' --hw '{}' --json '{}'", model, kHw, s.path("s.json")));
    REQUIRE(sim.status == 0);
    std::set<std::string> simulated_kernels;
    const json simulated = json::parse(slurp(s.path("s.json")));
    for (const json& l : simulated["layers"]) simulated_kernels.insert(l["kernel"].get<std::string>());
    CHECK(predicted_kernels == simulated_kernels);
  }

  TEST_CASE("bad inputs exit 2 with one line naming the culprit and write nothing") {
    Scratch s("regressor_bad");
    std::string model = tiny_model(s);
    const std::string reg = kRoot + "/traces/regressor-ne-pf.json";
    const std::string out = fmt::format(" --out '{}'", s.path("x.csv"));
    size_t files = s.files();
    auto dataset = [&](const std::string& args) { return s.nesim("dataset --samples 2 " + args); };
    check_input_error(dataset("--hw nope.yaml" + out), "nope.yaml");
    check_input_error(dataset(fmt::format("--hw '{}' --set sram.kibb=1,2", kHw) + out), "sram.kibb");
    check_input_error(dataset(fmt::format("--hw '{}' --set sram.kib=abc", kHw) + out), "sram.kib");
    check_input_error(dataset(fmt::format("--hw '{}' --jobs 0", kHw) + out), "--jobs");
    check_input_error(dataset(fmt::format("--hw '{}' '{}'", kHw, kHw) + out), "both configs are named 'ne-pf16'");
    check_input_error(s.nesim(fmt::format("dataset --hw '{}' --samples 0", kHw) + out), "--samples");
    check_input_error(dataset(fmt::format("--hw '{}' -m '{}'", kHw, s.path("none.yaml")) + out), "none.yaml");
    check_input_error(dataset(fmt::format("--hw '{}' --layer-shapes '{}' --layer-samples 3", kHw, s.path("none")) + out),
                      "none");
    check_input_error(dataset(fmt::format("--hw '{}' --out '{}'", kHw, s.path("no/dir/x.csv"))), "no/dir");
    CHECK(s.files() == files);

    spit(s.path("bad.csv"), "# nesim-kernels schema_version=1\nmodel,hw\n");  // the legacy line is skipped
    // A good dataset for the flags that are wrong on their own (the shipped traces/*.csv are not
    // in a fresh clone).
    Run made = s.nesim(fmt::format("dataset --hw '{}' -m '{}' --samples 6 --out '{}'", kHw, model, s.path("good.csv")));
    REQUIRE_MESSAGE(made.status == 0, made.err);
    const std::string good = s.path("good.csv");
    files = s.files();
    auto fit = [&](const std::string& args) { return s.nesim("fit " + args + fmt::format(" --out '{}'", s.path("r.json"))); };
    check_input_error(fit(fmt::format("--data '{}'", s.path("none.csv"))), "none.csv");
    check_input_error(fit(fmt::format("--data '{}'", s.path("bad.csv"))), "bad.csv:2");
    check_input_error(fit(fmt::format("--data '{}' --rounds 0", good)), "--rounds");
    check_input_error(fit(fmt::format("--data '{}' --holdout-model zzz", good)), "zzz");
    check_input_error(fit(fmt::format("--data '{}' --eval '{}'", good, s.path("none.csv"))), "none.csv");
    check_input_error(s.nesim(fmt::format("fit --data '{}' --out '{}'", good, s.path("no/dir/r.json"))), "no/dir");
    CHECK(s.files() == files);

    auto predict = [&](const std::string& args) { return s.nesim("predict " + args); };
    check_input_error(predict(fmt::format("--regressor '{}' --model '{}' --hw '{}'", s.path("none.json"), model, kHw)),
                      "none.json");
    check_input_error(predict(fmt::format("--regressor '{}' --model '{}' --hw '{}'", reg, s.path("none.yaml"), kHw)),
                      "none.yaml");
    check_input_error(predict(fmt::format("--regressor '{}' --model '{}' --hw nope.yaml", reg, model)), "nope.yaml");
    check_input_error(predict(fmt::format("--regressor '{}' --model '{}' --hw '{}' --json '{}'", reg, model, kHw,
                                          s.path("no/dir/p.json"))),
                      "no/dir");
    CHECK(s.files() == files);
  }
}

TEST_SUITE("cli: output files read as plain CSV") {
  // The header lines documented in docs/outputs.md (the lines of its ```csv blocks).
  std::set<std::string> documented_headers() {
    std::set<std::string> headers;
    std::istringstream in(slurp(fs::path(kRoot) / "docs" / "outputs.md"));
    bool in_block = false;
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("```", 0) == 0) in_block = l == "```csv";
      else if (in_block) headers.insert(l);
    }
    return headers;
  }

  // The file is strict CSV whose first line is a documented header (`doc_form`: with the swept
  // keys or the features written as in the docs); returns the table.
  test::CsvTable check_csv(const std::string& path, const std::string& doc_form) {
    CAPTURE(path);
    test::CsvTable t = test::parse_csv(slurp(path));
    CHECK_MESSAGE(t.error.empty(), t.error);
    CHECK(documented_headers().count(doc_form) == 1);
    CHECK(!t.rows.empty());
    return t;
  }

  TEST_CASE("every CSV nesim writes starts with its documented header, and every row has as many fields") {
    Scratch s("csv_contract");
    std::string model = tiny_model(s);
    REQUIRE(s.nesim(fmt::format("simulate --model {} --hw {} --csv {}", model, kHw, s.path("l.csv"))).status == 0);
    test::CsvTable layers = check_csv(s.path("l.csv"), slurp(s.path("l.csv")).substr(0, slurp(s.path("l.csv")).find('\n')));
    CHECK(layers.header.front() == "model");

    // A sweep with a failed point (a quoted error message) and two keys.
    Run sweep = s.nesim(fmt::format("sweep --model {}/models/mnasnet1_0.yaml --hw {} --set sram.kib=4,256 "
                                    "--set mac_array.pf=8 --csv {}",
                                    kRoot, kHw, s.path("s.csv")));
    REQUIRE_MESSAGE(sweep.status == 0, sweep.err);
    test::CsvTable swept = test::parse_csv(slurp(s.path("s.csv")));
    std::string doc_form = swept.header_line;
    doc_form.replace(doc_form.find("sram.kib,mac_array.pf"), std::string("sram.kib,mac_array.pf").size(), "<keys>");
    check_csv(s.path("s.csv"), doc_form);

    REQUIRE(s.nesim(fmt::format("dataset --hw '{}' -m '{}' --samples 3 --out '{}'", kHw, model, s.path("d.csv"))).status == 0);
    test::CsvTable data = test::parse_csv(slurp(s.path("d.csv")));
    REQUIRE(data.header.size() > 6);
    check_csv(s.path("d.csv"), "model,hw,kernel,kind,pipeline_cycles,cycles,<features>");
    const std::string docs = slurp(fs::path(kRoot) / "docs" / "outputs.md");
    for (size_t c = 6; c < data.header.size(); ++c)
      CHECK_MESSAGE(docs.find("`" + data.header[c] + "`") != std::string::npos, "undocumented feature ", data.header[c]);

    Run search = s.nesim(fmt::format("search --space {0}/nas/spaces/classifier.yaml --hw {1} --out {2} --budget 24 "
                                     "--jobs 1 --sim-every 8",
                                     kRoot, kHw, s.path("run")));
    REQUIRE_MESSAGE(search.status == 0, search.err);
    for (const char* f : {"candidates.csv", "pareto.csv", "history.csv", "simulations.csv"}) {
      std::string path = s.path(std::string("run/") + f);
      check_csv(path, slurp(path).substr(0, slurp(path).find('\n')));
    }
    CHECK(json::parse(slurp(s.path("run/summary.json")))["schema_version"] == 1);
  }
}
