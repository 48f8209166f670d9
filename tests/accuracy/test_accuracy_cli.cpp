// accuracy: do `nesim accuracy` and `nesim proxy-eval` run, write what they promise, and turn bad
// input into exit status 2 with one message?
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kModel = kRoot + "/models/mobilenet_v2_050.yaml";

struct Run {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() / fmt::format("nesim_accuracy_cli_{}_{}", getpid(), counter++);
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  Run nesim(const std::string& args) const {
    const fs::path out = dir / ".stdout", err = dir / ".stderr";
    const std::string cmd = fmt::format("'{}' {} >'{}' 2>'{}'", NESIM_BINARY, args, out.string(), err.string());
    const int raw = std::system(cmd.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
  }
};

}  // namespace

TEST_CASE("nesim accuracy: built-in and external scorers, JSON output") {
  Scratch s;
  Run r = s.nesim(fmt::format("accuracy --model '{}' --proxy params --json -", kModel));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["scorer"] == "params");
  CHECK(j["ok"] == true);
  CHECK(j["score"].get<double>() > 1e5);

  Run cmd = s.nesim(fmt::format("accuracy --model '{}' --accuracy-cmd 'grep -c type: {{arch}} >/dev/null && echo "
                                "0.625' --work-dir '{}'",
                                kModel, s.dir.string()));
  REQUIRE_MESSAGE(cmd.status == 0, cmd.err);
  CHECK(cmd.out.find("cmd = 0.625") != std::string::npos);

  // A failed trial: reported, exit status 1 (not an input error).
  Run failed = s.nesim(fmt::format("accuracy --model '{}' --accuracy-cmd 'exit 4 # {{arch}}' --work-dir '{}'",
                                   kModel, s.dir.string()));
  CHECK(failed.status == 1);
  CHECK(failed.out.find("status 4") != std::string::npos);
}

TEST_CASE("nesim accuracy: bad input is exit status 2 with one message") {
  Scratch s;
  for (const std::string& args :
       {fmt::format("accuracy --model '{}' --proxy nosuch", kModel),
        fmt::format("accuracy --model '{}' --train 0", kModel),
        fmt::format("accuracy --model '{}' --train ten", kModel),
        fmt::format("accuracy --model '{}' --proxy params --train 5", kModel),
        fmt::format("accuracy --model '{}' --accuracy-cmd 'python3 train.py'", kModel),
        std::string("accuracy --model /nonexistent/model.yaml --proxy params"),
        fmt::format("proxy-eval --space /nonexistent/space.yaml --samples 2 --out '{}'", s.dir.string()),
        fmt::format("accuracy --model '{}' --proxy supernet --supernet x.bin --calibration-batches 0", kModel),
        fmt::format("accuracy --model '{}' --proxy supernet --supernet x.bin --oracle-images 0", kModel),
        fmt::format("accuracy --model '{}' --proxy supernet --supernet x.bin --oracle-subset middle", kModel),
        // A reference build needs at least one seed: checked before anything is trained or written.
        fmt::format("reference --space '{}/nas/spaces/classifier.yaml' --out '{}/ref' --seeds 0", kRoot, s.dir.string()),
        // --snapshot reads a --checkpoint state: without one there is nothing to read.
        fmt::format("supernet --space '{}/nas/spaces/classifier.yaml' --out '{}/sn.bin' --snapshot", kRoot,
                    s.dir.string())}) {
    INFO(args);
    Run r = s.nesim(args);
    CHECK(r.status == 2);
    CHECK(r.err.find("error") != std::string::npos);
    if (args.find("--snapshot") != std::string::npos) CHECK(r.err.find("--snapshot: expected --checkpoint") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(s.dir / "sn.bin"));
}

#ifdef NESIM_WITH_TORCH
TEST_CASE("nesim accuracy: a missing dataset folder is an input error naming the file") {
  Scratch s;
  Run r = s.nesim(fmt::format("accuracy --model '{}' --proxy naswot --data-dir /nonexistent/fmnist", kModel));
  CHECK(r.status == 2);
  CHECK(r.err.find("/nonexistent/fmnist/train-images-idx3-ubyte.gz") != std::string::npos);
}

TEST_CASE("nesim proxy-eval writes the table, the correlations and the plot") {
  Scratch s;
  const std::string out = (s.dir / "eval").string();
  Run r = s.nesim(fmt::format("proxy-eval --space '{}/nas/spaces/classifier.yaml' --samples 3 --train-steps 2 "
                              "--eval-images 20 --input-size 16 --batch 8 --out '{}'",
                              kRoot, out));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string csv = slurp(fs::path(out) / "proxy_eval.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4);
  CHECK(csv.rfind("index,arch,key,", 0) == 0);
  auto summary = nlohmann::json::parse(slurp(fs::path(out) / "summary.json"));
  for (const char* p : {"params", "macs", "naswot", "synflow", "grad_norm", "snip"}) {
    INFO(p);
    CHECK(summary["signals"].contains(p));
  }
  CHECK(slurp(fs::path(out) / "scatter.svg").find("<svg") == 0);
}
#endif

// `nesim` starts in milliseconds because it links no libtorch; the libtorch scorers run in
// `nesim-torch`, which `nesim` starts only for a command that asks for one of them.
TEST_CASE("nesim links no libtorch and hands libtorch scorers to nesim-torch") {
  Scratch s;
  const fs::path ldd = s.dir / "ldd.txt";
  REQUIRE(std::system(fmt::format("ldd '{}' >'{}' 2>&1", NESIM_BINARY, ldd.string()).c_str()) == 0);
  const std::string libs = slurp(ldd);
  CHECK(libs.find("libtorch") == std::string::npos);
  CHECK(libs.find("libc10") == std::string::npos);

  const fs::path companion = fs::path(NESIM_BINARY).parent_path() / "nesim-torch";
#ifdef NESIM_WITH_TORCH
  REQUIRE(fs::exists(companion));
  Run r = s.nesim(fmt::format("accuracy --model '{}' --proxy naswot --batch 4 --input-size 16 --json -", kModel));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(nlohmann::json::parse(r.out)["scorer"] == "naswot");
  // Commands that need no libtorch never start it, whatever they are asked.
  Run plain = s.nesim(fmt::format("accuracy --model '{}' --proxy params", kModel));
  CHECK(plain.status == 0);
#else
  CHECK_FALSE(fs::exists(companion));
  Run r = s.nesim(fmt::format("accuracy --model '{}' --proxy naswot", kModel));
  CHECK(r.status == 2);
  CHECK(r.err.find("needs libtorch") != std::string::npos);
  CHECK(r.err.find("-DNESIM_WITH_TORCH=OFF") != std::string::npos);
#endif
}
