// unit: do the report writers produce the files of the output contract from a SimResult?
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/report/network_summary.h"
#include "sim/report/output_file.h"
#include "sim/report/result_writers.h"
#include "sim/report/sweep_report.h"
#include "sim/util/error.h"
#include "sim/util/json_text.h"
#include "tests/support/csv_table.h"

using namespace nesim;
using nesim::test::CsvTable;
using nesim::test::parse_csv;
namespace fs = std::filesystem;

namespace {

SimResult two_layer_result() {
  SimResult r;
  r.model = "tiny";
  r.hw = "ne-test";
  r.clock_mhz = 800;
  r.total_cycles = 1600;
  r.latency_ms = 0.002;
  r.energy_uj = 1.5;
  r.macs = 1000;
  r.params = 90;
  r.dram_read_bytes = 300;
  r.dram_write_bytes = 40;
  r.mac_utilization = 0.25;
  LayerRecord a;
  a.name = "stem0.conv";
  a.op = "conv2d";
  a.kernel = "stem0";
  a.unit = "mac_array";
  a.start_cycle = 0;
  a.end_cycle = 1000;
  a.total_cycles = 1000;
  a.compute_cycles = 700;
  a.stall_cycles = 300;
  a.dram_read_bytes = 200;
  a.dram_write_bytes = 0;
  a.sram_peak_bytes = 4096;
  a.macs = 1000;
  a.params = 90;
  a.mac_utilization = 0.1;
  a.energy_pj = 1e6;
  a.sram_input_bytes = 11, a.sram_weight_bytes = 22, a.sram_psum_bytes = 33, a.sram_output_bytes = 44;
  LayerRecord b = a;
  b.name = "head, \"odd\" name";  // needs CSV quoting
  b.op = "add";
  b.kernel = "head";
  b.unit = "vector";
  b.start_cycle = 1000;
  b.end_cycle = 1600;
  b.total_cycles = 600;
  b.compute_cycles = 600;
  b.stall_cycles = 0;
  b.dram_read_bytes = 100;
  b.dram_write_bytes = 40;
  b.macs = 0;
  b.params = 0;
  b.mac_utilization = 0;
  b.energy_pj = 5e5;
  r.layers = {a, b};
  r.trace = {{"mac_array", "stem0", 32, 968, 0},
             {"dma1", "head", 1000, 40, 40},
             {"dma0", "stem0", 0, 32, 200},
             {"vector", "head", 1000, 600, 0}};
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

fs::path scratch_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / fmt::format("nesim_report_{}_{}", name, getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_SUITE("unit: report writers") {
  TEST_CASE("numbers are written the same way everywhere") {
    CHECK(format_number(0.1) == "0.1");
    CHECK(format_number(1600.0) == "1600");
    CHECK(std::stod(format_number(1.0 / 3.0)) == 1.0 / 3.0);  // round-trips exactly
    CHECK(group_digits(0) == "0");
    CHECK(group_digits(1234567) == "1,234,567");
    CHECK(group_digits(-1000) == "-1,000");
  }

  TEST_CASE("CSV fields are quoted only when they must be") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  }

  TEST_CASE("layer CSV: the header first, then one row per layer with the same fields") {
    SimResult r = two_layer_result();
    std::vector<std::string> lines = lines_of(layers_csv(r));
    REQUIRE(lines.size() == 1 + r.layers.size());
    CHECK(lines[0] == layers_csv_header());
    CHECK(lines[0].rfind("model,hw,name,op,kernel,unit,start_cycle,end_cycle,total_cycles,", 0) == 0);
    CHECK(lines[1] ==
          "tiny,ne-test,stem0.conv,conv2d,stem0,mac_array,0,1000,1000,700,300,200,0,4096,0.1,"
          "1000000,1000,90,11,22,33,44");
    CHECK(lines[2].rfind("tiny,ne-test,\"head, \"\"odd\"\" name\",add,head,vector,1000,1600,", 0) == 0);
    CsvTable t = parse_csv(layers_csv(r));
    for (const auto& row : t.rows) CHECK(row.size() == t.header.size());
    CHECK(t.rows[1][2] == "head, \"odd\" name");
  }

  TEST_CASE("the legacy schema line is recognised only in its exact form") {
    CHECK(is_legacy_schema_line("# nesim-layers schema_version=1", "layers"));
    CHECK(is_legacy_schema_line("# nesim-sweep schema_version=1\r", "sweep"));
    CHECK_FALSE(is_legacy_schema_line("# nesim-layers schema_version=1", "sweep"));
    CHECK_FALSE(is_legacy_schema_line("# nesim-layers schema_version=2", "layers"));
    CHECK_FALSE(is_legacy_schema_line(layers_csv_header(), "layers"));
  }

  TEST_CASE("simulate JSON carries the contract's totals and per-layer fields") {
    SimResult r = two_layer_result();
    nlohmann::json j = nlohmann::json::parse(result_json(r).dump());
    for (const char* key : {"model", "hw", "total_cycles", "latency_ms", "energy_uj", "macs", "params",
                            "dram_read_bytes", "dram_write_bytes", "mac_utilization", "clock_mhz",
                            "schema_version", "layers"})
      CHECK_MESSAGE(j.contains(key), key);
    CHECK_FALSE(j.contains("set"));
    CHECK(j["total_cycles"] == 1600);
    REQUIRE(j["layers"].size() == 2);
    for (const char* key : {"name", "op", "kernel", "unit", "start_cycle", "end_cycle", "total_cycles",
                            "compute_cycles", "stall_cycles", "dram_read_bytes", "dram_write_bytes",
                            "sram_peak_bytes", "mac_utilization", "energy_pj", "macs", "params", "sram_input_bytes",
                            "sram_weight_bytes", "sram_psum_bytes", "sram_output_bytes"})
      CHECK_MESSAGE(j["layers"][1].contains(key), key);
    CHECK(j["layers"][0]["sram_psum_bytes"] == 33);
    CHECK(j["layers"][0]["name"] == "stem0.conv");  // execution order kept
    CHECK(j["layers"][1]["name"] == "head, \"odd\" name");
    CHECK(j["layers"][1]["dram_write_bytes"] == 40);

    nlohmann::json with_set =
        nlohmann::json::parse(result_json(r, {{"mac_array.pf", "32"}}).dump());
    CHECK(with_set["set"]["mac_array.pf"] == "32");
  }

  TEST_CASE("trace: labelled tracks in unit order, complete events in microseconds") {
    SimResult r = two_layer_result();
    nlohmann::json t = nlohmann::json::parse(trace_json(r));
    CHECK(t["displayTimeUnit"] == "ns");
    std::map<int, std::string> thread_names;
    std::vector<nlohmann::json> complete;
    bool process_named = false;
    for (const auto& e : t["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == "thread_name") thread_names[e["tid"]] = e["args"]["name"];
      if (e["ph"] == "M" && e["name"] == "process_name") process_named = true;
      if (e["ph"] == "X") complete.push_back(e);
    }
    CHECK(process_named);
    REQUIRE(thread_names.size() == 4);
    CHECK(thread_names[1] == "dma0");  // DMA channels by number, then compute units
    CHECK(thread_names[2] == "dma1");
    CHECK(thread_names[3] == "mac_array");
    CHECK(thread_names[4] == "vector");
    REQUIRE(complete.size() == r.trace.size());
    const auto& mac = complete[0];  // events keep the engine's order
    CHECK(thread_names[mac["tid"]] == "mac_array");
    // Whole 2^-10 us steps: cycle 32 at 800 MHz is 40.96 steps -> 41, cycle 1000 is 1280.
    CHECK(mac["ts"].get<double>() == 41.0 / 1024);
    CHECK(mac["dur"].get<double>() == (1280.0 - 41) / 1024);
    CHECK(mac["args"]["layer"] == "stem0");
    const auto& dma = complete[1];
    CHECK(thread_names[dma["tid"]] == "dma1");
    CHECK(dma["cat"] == "dma");
    CHECK(dma["args"]["bytes"] == 40);
  }

  TEST_CASE("trace: back-to-back slices on an odd clock meet exactly, in decimals and in doubles") {
    SimResult r = two_layer_result();
    r.clock_mhz = 733;
    r.trace.clear();
    int64_t cycle = 7;
    for (int64_t dur : {1, 2, 3, 733, 1000, 12345, 999999, 5, 1}) {
      r.trace.push_back({"mac_array", "k", cycle, dur, 0});
      cycle += dur;
    }
    std::string text = trace_json(r);
    CHECK(text.find(R"("ts":0.009765625,"dur":0.0009765625,)") != std::string::npos);  // cycles 7..8
    nlohmann::json trace = nlohmann::json::parse(text);
    std::vector<nlohmann::json> slices;
    for (const auto& e : trace["traceEvents"])
      if (e["ph"] == "X") slices.push_back(e);
    REQUIRE(slices.size() == r.trace.size());
    for (size_t i = 0; i + 1 < slices.size(); ++i) {
      double end = slices[i]["ts"].get<double>() + slices[i]["dur"].get<double>();
      CHECK(end == slices[i + 1]["ts"].get<double>());
    }
  }

  TEST_CASE("the human table lists every layer and the totals") {
    std::string table = result_table(two_layer_result());
    CHECK(table.find("stem0.conv") != std::string::npos);
    CHECK(table.find("1,600") != std::string::npos);
    CHECK(table.find("latency        0.0020 ms") != std::string::npos);
  }

  TEST_CASE("writers are deterministic") {
    CHECK(layers_csv(two_layer_result()) == layers_csv(two_layer_result()));
    CHECK(trace_json(two_layer_result()) == trace_json(two_layer_result()));
    CHECK(result_json(two_layer_result()).dump() == result_json(two_layer_result()).dump());
  }
}

TEST_SUITE("unit: sweep report") {
  SweepRun point(int model, const std::string& name, double area, double latency, std::string pf) {
    SweepRun r;
    r.model_index = model;
    r.model = name;
    r.hw = "ne";
    r.values = {std::move(pf)};
    r.area_proxy = area;
    r.latency_ms = latency;
    return r;
  }

  TEST_CASE("Pareto front: non-dominated points of one model, sorted by area") {
    std::vector<SweepRun> runs = {point(0, "a", 300, 1.0, "32"), point(0, "a", 100, 3.0, "8"),
                                  point(0, "a", 200, 3.5, "16"),  // dominated by (100, 3.0)
                                  point(0, "a", 200, 2.0, "16"), point(1, "b", 50, 9.0, "8"),
                                  point(0, "a", 300, 1.0, "32")};  // duplicate point
    CHECK(pareto_front(runs, 0) == std::vector<size_t>{1, 3, 0});
    CHECK(pareto_front(runs, 1) == std::vector<size_t>{4});
    SweepTable t{{"mac_array.pf"}, runs};
    std::string summary = pareto_summary(t);
    CHECK(summary.find("Pareto front for a (latency vs area proxy): 3 of 5 points") != std::string::npos);
    CHECK(summary.find("Pareto front for b (latency vs area proxy): 1 of 1 points") != std::string::npos);
    nlohmann::json j = nlohmann::json::parse(sweep_json(t).dump());
    CHECK(j["pareto"][0]["runs"] == nlohmann::json::array({1, 3, 0}));
    CHECK(j["runs"][2]["set"]["mac_array.pf"] == "16");
  }

  TEST_CASE("sweep CSV: the header first, swept keys as columns, one row per run") {
    SweepTable t{{"mac_array.pf", "sram.kib"}, {}};
    SweepRun r = point(0, "m", 256.5, 1.25, "8");
    r.values.push_back("512");
    r.total_cycles = 1000;
    t.runs = {r, r};
    std::vector<std::string> lines = lines_of(sweep_csv(t));
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == sweep_csv_header(t.keys));
    CHECK(lines[0] ==
          "model,hw,mac_array.pf,sram.kib,total_cycles,latency_ms,energy_uj,macs,params,"
          "dram_read_bytes,dram_write_bytes,mac_utilization,area_proxy,status,error");
    CHECK(lines[1] == "m,ne,8,512,1000,1.25,0,0,0,0,0,0,256.5,ok,");
  }

  TEST_CASE("sweep: a failed point is a row with its error and no totals, and stays off the Pareto front") {
    SweepTable t{{"mac_array.pf"}, {point(0, "a", 100, 3.0, "8"), point(0, "a", 50, 1.0, "16"),
                                    point(0, "a", 200, 2.0, "32"), point(1, "b", 10, 1.0, "8")}};
    t.runs[1].error = "layer s1: needs 20 KiB of SRAM, has 16, \"fits\" nowhere";
    t.runs[3].error = "does not map";
    CsvTable csv = parse_csv(sweep_csv(t));
    REQUIRE(csv.rows.size() == 4);
    for (const auto& row : csv.rows) CHECK(row.size() == csv.header.size());
    const auto col = [&](const std::string& name) {
      return static_cast<size_t>(std::find(csv.header.begin(), csv.header.end(), name) - csv.header.begin());
    };
    CHECK(csv.rows[1][col("status")] == "error");
    CHECK(csv.rows[1][col("error")] == t.runs[1].error);
    CHECK(csv.rows[1][col("latency_ms")].empty());
    CHECK(csv.rows[1][col("total_cycles")].empty());
    CHECK(csv.rows[1][col("area_proxy")] == "50");  // a property of the configuration, known anyway
    CHECK(csv.rows[0][col("status")] == "ok");
    CHECK(csv.rows[0][col("error")].empty());

    CHECK(pareto_front(t.runs, 0) == std::vector<size_t>{0, 2});
    CHECK(pareto_front(t.runs, 1).empty());
    std::string summary = pareto_summary(t);
    CHECK(summary.find("Pareto front for a (latency vs area proxy): 2 of 3 points (1 failed)") != std::string::npos);
    CHECK(summary.find("Pareto front for b (latency vs area proxy): 0 of 1 points (1 failed)") != std::string::npos);

    nlohmann::json j = nlohmann::json::parse(sweep_json(t).dump());
    CHECK(j["failed"] == 2);
    CHECK(j["runs"][0]["status"] == "ok");
    CHECK_FALSE(j["runs"][0].contains("error"));
    CHECK(j["runs"][1]["status"] == "error");
    CHECK(j["runs"][1]["error"] == t.runs[1].error);
    CHECK(j["runs"][1]["latency_ms"].is_null());
    CHECK(j["pareto"][0]["runs"] == nlohmann::json::array({0, 2}));
    CHECK(j["pareto"][1]["model"] == "b");
    CHECK(j["pareto"][1]["runs"].empty());
  }
}

TEST_SUITE("unit: output files") {
  TEST_CASE("staged files appear only at commit") {
    fs::path dir = scratch_dir("commit");
    {
      OutputFiles out;
      out.add((dir / "a.csv").string(), "x,y\n");
      CHECK_FALSE(fs::exists(dir / "a.csv"));
      out.commit();
    }
    CHECK(slurp(dir / "a.csv") == "x,y\n");
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    fs::remove_all(dir);
  }

  TEST_CASE("an uncommitted output leaves nothing behind") {
    fs::path dir = scratch_dir("abandon");
    {
      OutputFiles out;
      out.add((dir / "a.json").string(), "{}");
    }
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
  }

  TEST_CASE("unwritable paths are refused up front, naming the file") {
    fs::path dir = scratch_dir("bad");
    std::string missing = (dir / "no_such_dir" / "out.csv").string();
    CHECK_THROWS_WITH_AS(check_writable(missing),
                         doctest::Contains(fmt::format("cannot write {}", missing).c_str()), InputError);
    CHECK_THROWS_WITH_AS(check_writable(dir.string()), doctest::Contains("is a directory"), InputError);
    CHECK_NOTHROW(check_writable("-"));
    CHECK_NOTHROW(check_writable((dir / "fine.csv").string()));
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
  }
}

TEST_SUITE("unit: network summary") {
  TEST_CASE("info JSON has the contract fields, and layers excludes the input") {
    Network net;
    net.name = "toy";
    Layer in;
    in.name = "input";
    in.op = Op::Input;
    in.out = {3, 8, 8};
    Layer conv;
    conv.name = "c1";
    conv.op = Op::Conv2d;
    conv.inputs = {0};
    conv.out_channels = 4;
    conv.out = {4, 8, 8};
    net.layers = {in, conv};
    NetworkStats stats;
    stats.params = 108;
    stats.macs = 6912;
    stats.peak_activation_bytes = 448;
    nlohmann::json j = nlohmann::json::parse(network_summary_json(net, stats, Precision::Int8).dump());
    CHECK(j["name"] == "toy");
    CHECK(j["input"] == nlohmann::json({{"c", 3}, {"h", 8}, {"w", 8}}));
    CHECK(j["layers"] == 1);
    CHECK(j["params"] == 108);
    CHECK(j["macs"] == 6912);
    CHECK(j["peak_activation_bytes"] == 448);
    CHECK(j["peak_is_exact"] == true);
    CHECK(j["precision"] == "int8");
    CHECK(network_summary_text(net, stats, Precision::Int8).find("6,912") != std::string::npos);
  }
}

TEST_CASE("JSON text of a name that is not UTF-8 (a Latin-1 byte) is written with U+FFFD, not an exception") {
  const nlohmann::json j = {{"model", std::string("caf\xe9")}};
  std::string text;
  REQUIRE_NOTHROW(text = nesim::json_text(j, 2));
  CHECK(text.find("caf\xef\xbf\xbd") != std::string::npos);
  CHECK(nlohmann::json::parse(text)["model"] == "caf\xef\xbf\xbd");
}
