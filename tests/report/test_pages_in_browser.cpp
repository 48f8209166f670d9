// The HTML pages as `nesim sweep --html` and `nesim search` write them, loaded in headless
// Chromium: any console message (a script error, or an SVG attribute Chromium cannot parse) fails.
// Skipped, with a message, where /usr/bin/chromium is absent (Debian package `chromium`).
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace {

const std::string kRoot = NESIM_SOURCE_DIR;
const char* const kChromium = "/usr/bin/chromium";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

int run_shell(const std::string& cmd) {
  const int raw = std::system(cmd.c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// A scratch folder per test case, removed at the end.
struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name) {
    dir = fs::temp_directory_path() / fmt::format("nesim_report_{}_{}", name, getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

bool chromium_present() {
  if (access(kChromium, X_OK) == 0) return true;
  MESSAGE("skipped: " << kChromium << " is absent (Debian package chromium, scripts/install-deps.sh)");
  return false;
}

struct PageLoad {
  int status = -1;
  std::string dom;                   // the document as Chromium parsed it (--dump-dom)
  std::vector<std::string> console;  // console messages and uncaught exceptions, from its log
};

// Loads `page` in a fresh headless Chromium profile, logging to stderr: console messages appear
// there as "...:INFO:CONSOLE(...)] "<message>", source: ..." lines, exceptions as "Uncaught ...".
PageLoad load_in_chromium(const fs::path& page, const fs::path& scratch) {
  const fs::path profile = scratch / "chromium-profile", dom = scratch / "dom.html", log = scratch / "chromium.log";
  fs::remove_all(profile);
  fs::create_directories(profile);
  PageLoad r;
  r.status = run_shell(fmt::format(
      "timeout 120 {} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir='{}' "
      "--enable-logging=stderr --v=0 --dump-dom 'file://{}' >'{}' 2>'{}'",
      kChromium, profile.string(), fs::absolute(page).string(), dom.string(), log.string()));
  r.dom = slurp(dom);
  std::istringstream lines(slurp(log));
  for (std::string l; std::getline(lines, l);)
    if (l.find(":CONSOLE") != std::string::npos || l.find("Uncaught") != std::string::npos) r.console.push_back(l);
  fs::remove_all(profile);
  return r;
}

std::string nesim(const std::string& args, const fs::path& scratch, int expected_status = 0) {
  const fs::path err = scratch / "nesim.err";
  const int status = run_shell(fmt::format("'{}' {} >'{}' 2>'{}'", NESIM_BINARY, args, (scratch / "nesim.out").string(),
                                           err.string()));
  const std::string message = slurp(err);
  CAPTURE(args);
  CAPTURE(message);
  CHECK(status == expected_status);
  return message;
}

}  // namespace

TEST_SUITE("report: pages in a browser") {
  TEST_CASE("the check fails on a page with a console error, a JS exception or an SVG attribute Chromium rejects") {
    if (!chromium_present()) return;
    Scratch s("planted");
    const fs::path page = s.dir / "bad.html";
    std::ofstream(page) << "<!DOCTYPE html><html><body><svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'>"
                           "<circle cx='nan' cy='4' r='2'/></svg><script>console.error('planted');"
                           "undefined_function();</script></body></html>\n";
    const PageLoad r = load_in_chromium(page, s.dir);
    CHECK(r.status == 0);
    CHECK(r.dom.find("<circle") != std::string::npos);
    REQUIRE(r.console.size() == 3);
    CHECK(r.console[0].find("attribute cx") != std::string::npos);
    CHECK(r.console[1].find("planted") != std::string::npos);
    CHECK(r.console[2].find("Uncaught ReferenceError") != std::string::npos);
  }

  TEST_CASE("nesim sweep --html: Chromium shows one Pareto plot per model without a console message") {
    if (!chromium_present()) return;
    Scratch s("sweep");
    nesim(fmt::format("sweep --model '{0}/models/mobilenet_v2.yaml' '{0}/models/mnasnet1_0.yaml' --hw '{0}/hwconfigs/ne-pf16.yaml' "
                      "--set mac_array.pf=8,16,32 --set sram.kib=256,1024 --jobs 2 --csv '{1}/sweep.csv' --html '{1}/sweep.html'",
                      kRoot, s.dir.string()),
          s.dir);
    const PageLoad r = load_in_chromium(s.dir / "sweep.html", s.dir);
    CHECK(r.status == 0);
    for (const std::string& l : r.console) FAIL_CHECK(l);
    CHECK(count(r.dom, "<svg") == 2);
    CHECK(count(r.dom, "<polyline class=\"front\"") == 2);
    CHECK(count(r.dom, "<circle") >= 12);  // every run in the cloud, the front again on top
  }

  TEST_CASE("nesim search report.html: Chromium shows the Pareto and convergence plots without a console message") {
    if (!chromium_present()) return;
    Scratch s("search");
    nesim(fmt::format("search --space '{0}/nas/spaces/classifier.yaml' --hw '{0}/hwconfigs/ne-pf16.yaml' --out '{1}/run' "
                      "--budget 60 --sim-every 20 --batch 4 --seed 5 --jobs 1",
                      kRoot, s.dir.string()),
          s.dir);
    const PageLoad r = load_in_chromium(s.dir / "run" / "report.html", s.dir);
    CHECK(r.status == 0);
    for (const std::string& l : r.console) FAIL_CHECK(l);
    CHECK(count(r.dom, "<svg") == 4);  // Pareto, Pareto around the front, accuracy-latency, convergence
    CHECK(count(r.dom, "<polyline class=\"front\"") == 3);
    CHECK(count(r.dom, "<polyline class=\"line\"") == 1);
    CHECK(count(r.dom, "<g class=\"marks\"") == 2);
  }
}

TEST_CASE("nesim sweep: --html - and --csv - cannot both be stdout") {
  Scratch s("stdout");
  const std::string err = nesim(fmt::format("sweep --model '{0}/models/mobilenet_v2.yaml' --hw '{0}/hwconfigs/ne-pf16.yaml' "
                                            "--csv - --html -",
                                            kRoot),
                                s.dir, 2);
  CHECK(err.find("--csv and --html both name stdout") != std::string::npos);
}
