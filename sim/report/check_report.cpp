#include "sim/report/check_report.h"
#include "sim/util/json_text.h"

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

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || u == 0x7f ? '?' : ch;
    }
  }
  return out;
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
                       xml_escape(group), in_group.size(), failures(in_group));
    for (const GuardedQuantity& c : in_group) {
      std::string head = fmt::format("    <testcase classname=\"nesim.check.{}\" name=\"{}\"", xml_escape(c.group),
                                     xml_escape(c.name));
      if (c.pass) {
        out += head + "/>\n";
        continue;
      }
      out += head + ">\n";
      out += fmt::format("      <failure message=\"{}\" type=\"regression\">{}</failure>\n",
                         xml_escape(failure_message(c)), xml_escape(c.detail));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace nesim
