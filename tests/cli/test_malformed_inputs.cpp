// cli: does every class of malformed input (the 253-case campaign of issue 16, kept as a table)
// give exit status 2, one stderr line naming the file (and the key or line where there is one),
// nothing on stdout and no file left behind, for `simulate`, `info`, `sweep`, `import`, `export` and
// `search`? ONNX files are in the table too (tests/onnx/fixtures).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/support/nesim_command.h"

namespace fs = std::filesystem;
using nesim::test::CommandResult;
using nesim::test::ScratchDir;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const std::string kHw = kRoot + "/hwconfigs/ne-pf16.yaml";

const std::string kModel = R"(name: tiny
input: [3, 32, 32]
stem:
  - {type: conv, out: 16, kernel: 3, stride: 2}
stages:
  - blocks:
      - {type: ibn, out: 16, expand: 4, kernel: 3, stride: 1}
head:
  - {type: global_pool}
  - {type: fc, name: fc, out: 10}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// One malformed input file. `kind` "dir" makes a directory of that name, "none" creates nothing.
struct Malformed {
  const char* what;
  const char* file;      // its name in the scratch folder
  std::string text;
  std::string needle;    // besides the file name: the key or line the message must name
  const char* kind = "file";
};

std::string fixture(const std::string& name) {
  std::ifstream in(kRoot + "/tests/onnx/fixtures/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in, name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Malformed> model_cases() {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  const std::string onnx = fixture("tiny_mbv3.onnx");
  return {
      {"ONNX: truncated", "truncated.onnx", onnx.substr(0, onnx.size() / 2), "not a readable ONNX model"},
      {"ONNX: not a protobuf (wrong magic)", "text.onnx", "input: [3, 32, 32]\n", "not an ONNX model"},
      {"ONNX: unsupported operator", "unsupported.onnx", fixture("unsupported_op.onnx"), "node 'leaky' (LeakyRelu, opset 13)"},
      {"ONNX: opset too new", "new.onnx", fixture("opset_too_new.onnx"), "opset 21"},
      {"ONNX: dynamic shape without a default", "dynamic.onnx", fixture("dynamic_shape.onnx"), "'height'"},
      {"ONNX: 2 GB external-data reference", "external.onnx", fixture("external_data.onnx"), "weights.bin"},
      {"empty file", "empty.yaml", "", ""},
      {"binary garbage", "garbage.yaml", std::string("\x7f" "ELF\x02\x01\x01\0\0\xff\xfe\x00\x13", 14), ""},
      {"truncated YAML", "truncated.yaml", kModel.substr(0, kModel.find("kernel: 3, stride: 2}") + 9), ""},
      {"wrong type for a key", "wrong_type.yaml", replaced(kModel, "[3, 32, 32]", "three"), "input"},
      {"unknown key", "unknown_key.yaml", replaced(kModel, "stem:", "stme:"), "stme"},
      {"negative number", "negative.yaml", replaced(kModel, "out: 16, kernel: 3, stride: 2", "out: -16, kernel: 3, stride: 2"), "out"},
      {"zero", "zero.yaml", replaced(kModel, "kernel: 3, stride: 2", "kernel: 0, stride: 2"), "kernel"},
      {"huge number", "huge.yaml", replaced(kModel, "out: 10}", "out: 99999999999999999999999}"), "out"},
      {"duplicate key", "duplicate.yaml", replaced(kModel, "input: [3, 32, 32]", "input: [3, 32, 32]\ninput: [3, 64, 64]"), "input"},
      {"deep nesting", "deep.yaml", "input: " + deep + "\n", ""},
      {"a directory given as a file", "folder.yaml", "", "", "dir"},
      {"a missing file", "missing.yaml", "", "", "none"},
      {"invalid UTF-8 in a name", "utf8.yaml", replaced(kModel, "name: tiny", "name: \"tin\xff\xfey\""), ":1: not valid UTF-8"},
      {"a topology with a short row", "short_row.csv",
       "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
       "Conv1, 224, 224, 3, 3, 3, 32, 2,\nConv2, 112, 112, 3\n",
       "3"},
  };
}

std::vector<Malformed> hw_cases() {
  return {
      {"empty file", "empty_hw.yaml", "", ""},
      {"binary garbage", "garbage_hw.yaml", std::string("\0\x01\x02\xff\xfe\xfd", 6), ""},
      {"unknown key", "unknown_hw.yaml", "mac_aray: {pf: 16}\n", "mac_aray"},
      {"a .cfg with a missing section", "no_presets.cfg", "[general]\nrun_name = x\n\n[run_presets]\nDataflow : os\n",
       "architecture_presets"},
  };
}

fs::path make(const ScratchDir& s, const Malformed& m) {
  const fs::path p = s.path(m.file);
  if (std::string(m.kind) == "dir") fs::create_directories(p);
  else if (std::string(m.kind) == "file") spit(p, m.text);
  return p;
}

void check_rejected(const CommandResult& r, const fs::path& file, const std::string& needle, const fs::path& out) {
  CHECK(r.status == 2);
  CHECK_MESSAGE(r.out.empty(), r.out);
  std::istringstream lines(r.err);
  int n = 0;
  for (std::string l; std::getline(lines, l);) ++n;
  CHECK_MESSAGE(n == 1, r.err);
  CHECK_MESSAGE(r.err.find(file.filename().string()) != std::string::npos, "no file named in: ", r.err);
  if (!needle.empty()) CHECK_MESSAGE(r.err.find(needle) != std::string::npos, "expected '", needle, "' in: ", r.err);
  CHECK_MESSAGE(entries(out) == 0, "left behind in ", out);
}

// A small search space over `base`, relative to the space file.
std::string space_text(const std::string& base) {
  return fmt::format("name: tiny_space\nbase: {}\nchannels: curated\nwidth_multiplier: [0.5, 1.0]\n", base);
}

}  // namespace

TEST_CASE("malformed model files: simulate, info and sweep exit 2 naming the file, write nothing") {
  for (const Malformed& m : model_cases()) {
    ScratchDir s("malformed_model");
    const fs::path file = make(s, m), out = s.path("out");
    fs::create_directories(out);
    const std::string o = out.string();
    for (const std::string& cmd :
         {fmt::format("simulate --model '{}' --hw {} --json {}/r.json --csv {}/l.csv", file.string(), kHw, o, o),
          fmt::format("info --model '{}' --json {}/i.json", file.string(), o),
          fmt::format("sweep --model '{}' --hw {} --csv {}/s.csv --jobs 1", file.string(), kHw, o),
          fmt::format("import '{}' -o {}/m.yaml", file.string(), o),
          fmt::format("export --model '{}' --pytorch {}/net.py --onnx {}/net.onnx", file.string(), o, o)}) {
      const std::string what = m.what;
      CAPTURE(what);
      CAPTURE(cmd);
      check_rejected(s.nesim(cmd), file, m.needle, out);
    }
  }
}

TEST_CASE("malformed hardware files: simulate and sweep exit 2 naming the file, write nothing") {
  for (const Malformed& m : hw_cases()) {
    ScratchDir s("malformed_hw");
    const fs::path file = make(s, m), out = s.path("out"), model = s.path("tiny.yaml");
    spit(model, kModel);
    fs::create_directories(out);
    const std::string o = out.string();
    for (const std::string& cmd :
         {fmt::format("simulate --model {} --hw '{}' --json {}/r.json", model.string(), file.string(), o),
          fmt::format("sweep --model {} --hw '{}' --csv {}/s.csv --jobs 1", model.string(), file.string(), o)}) {
      const std::string what = m.what;
      CAPTURE(what);
      CAPTURE(cmd);
      check_rejected(s.nesim(cmd), file, m.needle, out);
    }
  }
}

TEST_CASE("malformed search inputs: a bad base model, a space naming a missing model, a corrupt journal") {
  ScratchDir s("malformed_search");
  const fs::path out = s.path("out");
  fs::create_directories(out);
  const std::string search = fmt::format("search --hw {} --budget 3 --batch 3 --jobs 1 --accuracy params", kHw);

  // The space names a model that does not exist: the message names the space file and its key.
  spit(s.path("ghost_space.yaml"), space_text("ghost.yaml"));
  check_rejected(s.nesim(fmt::format("{} --space {} --out {}/run", search, s.path("ghost_space.yaml"), out.string())),
                 s.path("ghost_space.yaml"), "base", out);

  // Each malformed model as the base: the message names the base model's file.
  for (const Malformed& m : model_cases()) {
    if (std::string(m.kind) != "file" || std::string(m.file).ends_with(".csv")) continue;
    const std::string what = m.what;
    CAPTURE(what);
    const fs::path base = make(s, m);
    spit(s.path("space.yaml"), space_text(m.file));
    check_rejected(s.nesim(fmt::format("{} --space {} --out {}/run", search, s.path("space.yaml"), out.string())),
                   base, m.needle, out);
  }

  // A finished run whose journal is damaged in the middle: --resume names the journal and the line.
  spit(s.path("tiny.yaml"), kModel);
  spit(s.path("space.yaml"), space_text("tiny.yaml"));
  const std::string run = fmt::format("{} --space {} --out {}/run --quiet", search, s.path("space.yaml"), out.string());
  const CommandResult first = s.nesim(run);
  REQUIRE_MESSAGE(first.status == 0, first.err);
  const fs::path journal = out / "run" / "journal.jsonl";
  std::string text = nesim::test::read_text(journal);
  const size_t second_line = text.find('\n') + 1;
  REQUIRE(second_line < text.size());
  for (const std::string& damage : {std::string("{\"type\":\"eval\",\"key\":\"base\"}\n"), std::string("\x01garbage\n")}) {
    CAPTURE(damage);
    spit(journal, text.substr(0, second_line) + damage + text.substr(second_line));
    const size_t before = entries(out / "run");
    const CommandResult r = s.nesim(run + " --resume");
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.out.empty(), r.out);
    CHECK_MESSAGE(r.err.find("journal.jsonl:2") != std::string::npos, r.err);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(entries(out / "run") == before);
  }
}
