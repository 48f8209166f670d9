#include "sim/report/check_report.h"
#include "sim/util/json_text.h"
#include "sim/util/text.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace nesim {

namespace {

size_t failures(const std::vector<GuardedQuantity>& checks) {
  return static_cast<size_t>(std::count_if(checks.begin(), checks.end(), [](const auto& c) { return !c.pass; }));
}

std::string failure_message(const GuardedQuantity& c) {
  return fmt::format("{} = {} is not {} {}", c.quantity, c.value, c.comparison, c.threshold);
}

}  // namespace

std::string check_report_json(const std::vector<GuardedQuantity>& checks) {
  nlohmann::ordered_json j;
  size_t failed = failures(checks);
  j["schema_version"] = 1;
  j["status"] = failed == 0 ? "pass" : "fail";
  j["tests"] = checks.size();
  j["failures"] = failed;
  j["checks"] = nlohmann::ordered_json::array();
  for (const GuardedQuantity& c : checks)
    j["checks"].push_back({{"group", c.group},
                           {"name", c.name},
                           {"quantity", c.quantity},
                           {"value", c.value},
                           {"comparison", c.comparison},
                           {"threshold", c.threshold},
                           {"pass", c.pass},
                           {"detail", c.detail}});
  return json_text(j, 2) + "\n";
}

std::string check_report_junit(const std::vector<GuardedQuantity>& checks) {
  std::vector<std::string> groups;
  for (const GuardedQuantity& c : checks)
    if (std::find(groups.begin(), groups.end(), c.group) == groups.end()) groups.push_back(c.group);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"nesim check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
                     checks.size(), failures(checks));
  for (const std::string& group : groups) {
    std::vector<GuardedQuantity> in_group;
    std::copy_if(checks.begin(), checks.end(), std::back_inserter(in_group),
                 [&](const GuardedQuantity& c) { return c.group == group; });
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n",
                       text::markup_escape(group), in_group.size(), failures(in_group));
    for (const GuardedQuantity& c : in_group) {
      std::string head = fmt::format("    <testcase classname=\"nesim.check.{}\" name=\"{}\"", text::markup_escape(c.group),
                                     text::markup_escape(c.name));
      if (c.pass) {
        out += head + "/>\n";
        continue;
      }
      out += head + ">\n";
      out += fmt::format("      <failure message=\"{}\" type=\"regression\">{}</failure>\n",
                         text::markup_escape(failure_message(c)), text::markup_escape(c.detail));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace nesim
