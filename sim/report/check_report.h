#pragma once
// `nesim check --json` and `--junit`: the guard's verdict in forms CI systems read natively, so a
// pipeline shows which golden or threshold broke without anyone reading the log.
#include <string>
#include <vector>

namespace nesim {

// One quantity the guard holds to a threshold.
struct GuardedQuantity {
  std::string group;       // "golden", "regressor" or "reference": one JUnit testsuite each
  std::string name;        // what was checked: a golden file, "mape_pct", "within_5_pct", ...
  std::string quantity;    // what `value` counts: "differences", "mape_pct", ...
  double value = 0;
  std::string comparison;  // "<=", ">=" or "==": how value must stand to threshold to pass
  double threshold = 0;
  bool pass = false;
  std::string detail;      // what a reader needs on failure: the golden diff, the worst network
};

// {"status": "pass"|"fail", "tests", "failures", "checks": [{group, name, quantity, value,
// comparison, threshold, pass, detail}, ...]} in the order given.
std::string check_report_json(const std::vector<GuardedQuantity>& checks);

// JUnit XML: <testsuites> with one <testsuite> per group (counts in attributes) and one
// <testcase> per quantity; a failed one carries <failure message="..."> with the detail inside.
std::string check_report_junit(const std::vector<GuardedQuantity>& checks);

}  // namespace nesim
