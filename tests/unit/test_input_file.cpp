// unit: is every wrong input file one clear error, never an endless read or a hang: a missing
// file, a directory, a FIFO, a link to a device, a file larger than input files may be?
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "sim/modelfmt/model_loader.h"
#include "sim/util/error.h"
#include "sim/util/input_file.h"

namespace fs = std::filesystem;

namespace {

std::string error_of(const std::string& path, int64_t max_bytes = nesim::kMaxInputFileBytes) {
  try {
    nesim::read_input_file(path, "the model", max_bytes);
  } catch (const nesim::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("read_input_file: what cannot be an input file is an input error naming the file") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("nesim_input_file_{}", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string ok = (dir / "m.yaml").string();
  std::ofstream(ok) << "name: m\n";
  CHECK(nesim::read_input_file(ok, "the model") == "name: m\n");

  CHECK(error_of((dir / "missing.yaml").string()) == (dir / "missing.yaml").string() + ": cannot read the model: no such file");
  CHECK(error_of(dir.string()) == dir.string() + ": cannot read the model: it is a directory");
  CHECK(error_of("") == "'': cannot read the model: empty file name");

  // A FIFO with no writer would block a plain open; a link to a device would read forever.
  const fs::path fifo = dir / "fifo.yaml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of(fifo.string()).find("not a regular file") != std::string::npos);
  fs::create_symlink("/dev/zero", dir / "zero.yaml");
  CHECK(error_of((dir / "zero.yaml").string()) ==
        (dir / "zero.yaml").string() + ": cannot read the model: not a regular file (a device, FIFO or socket)");

  // Size is checked before reading.
  CHECK(error_of(ok, 4) .find("it has 8 bytes, more than") != std::string::npos);

  // And the model loader goes through it.
  try {
    nesim::load_model((dir / "zero.yaml").string());
    FAIL("expected an InputError");
  } catch (const nesim::InputError& e) {
    CHECK(std::string(e.what()).find("not a regular file") != std::string::npos);
  }
  fs::remove_all(dir);
}
