// nas: which accuracy signal does a search use when its user names none? The space's supernet
// oracle where one is built, else the zero-cost fallback, saying so; a named signal is kept.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nas/search/signal_choice.h"
#include "sim/util/error.h"
#include "tests/support/nesim_command.h"

using namespace nesim;
namespace fs = std::filesystem;

TEST_CASE("accuracy signal: the default is the space's supernet where built, else the fallback with its reason") {
  test::ScratchDir d("signal_choice");
  const std::string space = "nas/spaces/classifier.yaml", dir = d.path("supernets");
  fs::create_directories(dir);
  const std::string built = dir + "/classifier.bin";
  CHECK(nas::default_supernet_path(space, dir) == built);

  SUBCASE("nothing built: the fallback, and why, naming where it looked") {
    const nas::SignalChoice c = nas::choose_accuracy_signal("auto", "", space, dir);
    CHECK(c.signal == nas::kFallbackSignal);
    CHECK(c.fallback);
    CHECK(c.supernet.empty());
    CHECK(c.chosen_by.find(built) != std::string::npos);
    CHECK(c.chosen_by.find("iso-accuracy") != std::string::npos);
  }
  SUBCASE("a folder in the supernet's place is not a supernet") {
    fs::create_directories(built);
    CHECK(nas::choose_accuracy_signal("auto", "", space, dir).signal == nas::kFallbackSignal);
  }
  SUBCASE("built: the oracle on the space's file") {
    std::ofstream(built) << "weights";
    const nas::SignalChoice c = nas::choose_accuracy_signal("auto", "", space, dir);
    CHECK(c.signal == "supernet");
    CHECK(c.supernet == built);
    CHECK_FALSE(c.fallback);
    CHECK(c.chosen_by.rfind("default", 0) == 0);
  }
  SUBCASE("--supernet FILE wins over the space's file") {
    std::ofstream(built) << "weights";
    const nas::SignalChoice c = nas::choose_accuracy_signal("auto", "mine.bin", space, dir);
    CHECK(c.signal == "supernet");
    CHECK(c.supernet == "mine.bin");
    CHECK(c.chosen_by.find("--supernet 'mine.bin'") != std::string::npos);
  }
  SUBCASE("a named signal is kept as it is, even with a supernet built") {
    std::ofstream(built) << "weights";
    const nas::SignalChoice c = nas::choose_accuracy_signal("params", "", space, dir);
    CHECK(c.signal == "params");
    CHECK(c.chosen_by == "--accuracy params");
    CHECK_FALSE(c.fallback);
  }
  SUBCASE("--accuracy supernet without any weights is an input error naming where it looked") {
    try {
      nas::choose_accuracy_signal("supernet", "", space, dir);
      FAIL("expected an input error");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find(built) != std::string::npos);
    }
    CHECK_THROWS_AS(nas::choose_accuracy_signal("supernet", "", space, ""), InputError);
    std::ofstream(built) << "weights";
    CHECK(nas::choose_accuracy_signal("supernet", "", space, dir).supernet == built);
  }
}
