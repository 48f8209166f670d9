// cli: do `nesim check --json` and `--junit` give a CI system every guarded quantity and the
// verdict, passes and failures alike, in files it can parse?
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/nesim_command.h"

namespace {

using nesim::test::read_text;
using nesim::test::ScratchDir;
using nlohmann::json;

// Well-formed enough for a CI parser: one prolog, every element closed in order, no raw '&'.
bool xml_balanced(const std::string& xml) {
  if (xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0) != 0) return false;
  std::vector<std::string> open;
  const std::regex tag(R"(<(/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(/?)>)");
  size_t pos = xml.find("?>") + 2;
  for (auto it = std::sregex_iterator(xml.begin() + static_cast<long>(pos), xml.end(), tag);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    if (m[4] == "/") continue;
    if (m[1] == "/") {
      if (open.empty() || open.back() != m[2]) return false;
      open.pop_back();
    } else {
      open.push_back(m[2]);
    }
  }
  std::regex bare_amp(R"(&(?!amp;|lt;|gt;|quot;|apos;))");
  return open.empty() && !std::regex_search(xml, bare_amp) &&
         std::count(xml.begin(), xml.end(), '<') == std::distance(std::sregex_iterator(xml.begin(), xml.end(), tag),
                                                                  std::sregex_iterator()) + 1;
}

int attribute(const std::string& xml, const std::string& element, const std::string& name) {
  std::smatch m;
  std::regex re("<" + element + "\\b[^>]*\\b" + name + "=\"(\\d+)\"");
  REQUIRE_MESSAGE(std::regex_search(xml, m, re), element, " ", name);
  return std::stoi(m[1]);
}

}  // namespace

TEST_SUITE("cli: nesim check --json and --junit") {
  TEST_CASE("a clean tree: JSON on stdout lists every golden as passing, the log moves to stderr") {
    ScratchDir s("check_json_pass");
    auto r = s.nesim(fmt::format("check --regressor '' --json - --junit '{}'", s.path("r.xml")));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    json j = json::parse(r.out);  // stdout is the report alone
    CHECK(j["status"] == "pass");
    CHECK(j["failures"] == 0);
    size_t goldens = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(NESIM_SOURCE_DIR) + "/traces/golden"))
      goldens += e.path().extension() == ".csv";
    REQUIRE(j["checks"].size() == goldens);
    for (const json& c : j["checks"]) {
      CHECK(c["group"] == "golden");
      CHECK(c["quantity"] == "differences");
      CHECK(c["value"] == 0);
      CHECK(c["comparison"] == "==");
      CHECK(c["pass"] == true);
    }
    CHECK(r.err.find("all checks hold") != std::string::npos);

    std::string xml = read_text(s.path("r.xml"));
    CHECK(xml_balanced(xml));
    CHECK(attribute(xml, "testsuites", "tests") == static_cast<int>(goldens));
    CHECK(attribute(xml, "testsuites", "failures") == 0);
    CHECK(xml.find("<failure") == std::string::npos);
  }

  TEST_CASE("a threshold the regressor cannot meet is a failure in both reports, with its numbers") {
    ScratchDir s("check_reports_fail");
    std::ofstream(s.path("t.yaml")) << "mape_pct_max: 0\nwithin_5_pct_min: 90\nwithin_10_pct_min: 99\n";
    auto r = s.nesim(fmt::format("check --thresholds '{}' --json '{}' --junit -", s.path("t.yaml"), s.path("r.json")));
    CHECK(r.status == 1);
    std::string xml = r.out;
    CHECK(xml_balanced(xml));
    json j = json::parse(read_text(s.path("r.json")));
    CHECK(j["status"] == "fail");
    CHECK(j["failures"] == 1);
    std::map<std::string, json> regressor;
    for (const json& c : j["checks"])
      if (c["group"] == "regressor") regressor[c["name"].get<std::string>()] = c;
    REQUIRE(regressor.size() == 3);
    CHECK(regressor["mape_pct"]["pass"] == false);
    CHECK(regressor["mape_pct"]["threshold"] == 0);
    CHECK(regressor["mape_pct"]["value"].get<double>() > 0);
    CHECK(regressor["within_5_pct"]["pass"] == true);
    CHECK(regressor["within_10_pct"]["comparison"] == ">=");
    CHECK(regressor["mape_pct"]["detail"].get<std::string>().find("worst") != std::string::npos);

    CHECK(attribute(xml, "testsuites", "tests") == static_cast<int>(j["checks"].size()));
    CHECK(attribute(xml, "testsuites", "failures") == 1);
    CHECK(std::regex_search(xml, std::regex(R"(<testsuite name="regressor" tests="3" failures="1")")));
    CHECK(std::regex_search(
        xml, std::regex(R"(<testcase classname="nesim.check.regressor" name="mape_pct">\s*<failure message="mape_pct = [0-9.e-]+ is not &lt;= 0")")));
  }

  TEST_CASE("a changed golden fails with its diff, XML-escaped") {
    ScratchDir s("check_reports_golden");
    std::filesystem::create_directories(s.dir / "golden");
    std::string name = "mobilenet_v2_050__ne-pf16.csv";
    std::string text = read_text(std::filesystem::path(NESIM_SOURCE_DIR) / "traces" / "golden" / name);
    size_t row = 0;  // third data row: prefix a digit to its total_cycles (9th column)
    for (int i = 0; i < 4; ++i) row = text.find('\n', row) + 1;
    for (int c = 0; c < 8; ++c) row = text.find(',', row) + 1;
    text = text.substr(0, row) + "7" + text.substr(row);
    std::ofstream(s.dir / "golden" / name) << text;
    auto r = s.nesim(fmt::format("check --golden '{}' --regressor '' --junit '{}' --json '{}'",
                                 (s.dir / "golden").string(), s.path("r.xml"), s.path("r.json")));
    CHECK(r.status == 1);
    json j = json::parse(read_text(s.path("r.json")));
    REQUIRE(j["checks"].size() == 1);
    CHECK(j["checks"][0]["value"] == 1);
    CHECK(j["checks"][0]["detail"].get<std::string>().find("total_cycles") != std::string::npos);
    std::string xml = read_text(s.path("r.xml"));
    CHECK(xml_balanced(xml));
    CHECK(xml.find("<failure message=\"differences = 1 is not == 0\"") != std::string::npos);
    CHECK(xml.find("total_cycles") != std::string::npos);
    CHECK(xml.find("-&gt;") != std::string::npos);  // the diff's "a -> b", escaped
  }

  TEST_CASE("bad report paths exit 2 before any work and write nothing") {
    ScratchDir s("check_reports_bad");
    auto r = s.nesim("check --regressor '' --json - --junit -");
    CHECK(r.status == 2);
    CHECK(r.err.find("--junit") != std::string::npos);
    CHECK(r.out.empty());
    r = s.nesim(fmt::format("check --regressor '' --json '{}' --junit '{}'", s.path("ok.json"),
                            s.path("nowhere/r.xml")));
    CHECK(r.status == 2);
    CHECK(r.err.find("nowhere/r.xml") != std::string::npos);
    CHECK(r.out.find("golden") == std::string::npos);  // no work was done
    CHECK_FALSE(std::filesystem::exists(s.path("ok.json")));
  }
}
