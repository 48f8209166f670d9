// unit: do output files stay all-or-nothing without damaging what the user pointed at: a symbolic
// link, a FIFO, a character device, or a file planted where a temporary would go?
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include <fmt/format.h>

#include "sim/report/output_file.h"
#include "tests/support/nesim_command.h"
#include "sim/util/error.h"

namespace fs = std::filesystem;
using nesim::OutputFiles;

namespace {

// A scratch folder per case; files() counts its entries, hidden temporaries included.
struct Scratch : nesim::test::ScratchDir {
  Scratch() : ScratchDir("output_file") {}
};

// A pid that surely runs no more: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

}  // namespace

TEST_CASE("a regular file is replaced all at once, and nothing is left when commit never comes") {
  Scratch s;
  const fs::path out = s.dir / "out.csv";
  {
    OutputFiles files;
    files.add(out.string(), "a,b\n1,2\n");
    CHECK_FALSE(fs::exists(out));
    CHECK(s.files() == 1);  // the hidden temporary
  }
  CHECK(s.files() == 0);
  OutputFiles files;
  files.add(out.string(), "a,b\n1,2\n");
  files.commit();
  CHECK(nesim::test::read_text(out) == "a,b\n1,2\n");
  CHECK(s.files() == 1);
  CHECK((fs::status(out).permissions() & fs::perms::owner_read) != fs::perms::none);
}

TEST_CASE("a symbolic link stays a link and its target gets the content") {
  Scratch s;
  fs::create_directories(s.dir / "real");
  const fs::path target = s.dir / "real" / "t.json", link = s.dir / "link.json";
  std::ofstream(target) << "old";
  fs::create_symlink(fs::path("real") / "t.json", link);
  OutputFiles files;
  files.add(link.string(), "new");
  files.commit();
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(nesim::test::read_text(target) == "new");
  CHECK(std::distance(fs::directory_iterator(s.dir / "real"), fs::directory_iterator()) == 1);

  // A link loop is an input error, not a hang.
  fs::create_symlink("loop_b", s.dir / "loop_a");
  fs::create_symlink("loop_a", s.dir / "loop_b");
  OutputFiles loop;
  CHECK_THROWS_AS(loop.add((s.dir / "loop_a").string(), "x"), nesim::InputError);
}

TEST_CASE("a FIFO is written in place: its reader gets every byte and it stays a FIFO") {
  Scratch s;
  const fs::path fifo = s.dir / "pipe";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  const std::string content(200000, 'x');  // more than a pipe buffer holds
  auto reader = std::async(std::launch::async, [&] { return nesim::test::read_text(fifo); });
  OutputFiles files;
  files.add(fifo.string(), content);
  files.commit();
  CHECK(reader.get() == content);
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(s.files() == 1);
}

TEST_CASE("a character device is written in place, never replaced by a regular file") {
  Scratch s;
  const fs::path dev = s.dir / "null";
  // A private node with /dev/null's numbers (needs CAP_MKNOD, which root has).
  if (mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    MESSAGE("skipped: cannot make a character device here (not root)");
    return;
  }
  if (const int fd = open(dev.c_str(), O_WRONLY); fd >= 0) {
    close(fd);
  } else {  // a file system mounted nodev (a container's /tmp) refuses to open device nodes
    MESSAGE("skipped: device nodes cannot be opened on this file system (nodev)");
    return;
  }
  OutputFiles files;
  files.add(dev.string(), "discarded");
  files.commit();
  CHECK(fs::is_character_file(fs::symlink_status(dev)));
  CHECK(s.files() == 1);
}

TEST_CASE("a link planted at a predictable temporary name is never followed") {
  Scratch s;
  const fs::path victim = s.dir / "victim.txt", out = s.dir / "o.json";
  std::ofstream(victim) << "precious";
  // The names earlier nesim used (o.json.tmp.<pid>) and a guess at the new scheme's prefix.
  fs::create_symlink(victim, s.dir / fmt::format("o.json.tmp.{}", getpid()));
  fs::create_symlink(victim, s.dir / fmt::format(".o.json.{}.nesim-tmp-AAAAAA", getpid()));
  OutputFiles files;
  files.add(out.string(), "{}");
  files.commit();
  CHECK(nesim::test::read_text(victim) == "precious");
  CHECK(nesim::test::read_text(out) == "{}");
}

TEST_CASE("the temporaries of a killed run are removed by the next one; a live run's are kept") {
  Scratch s;
  const fs::path out = s.dir / "best.yaml";
  const pid_t gone = dead_pid();
  const fs::path stale_new = s.dir / fmt::format(".best.yaml.{}.nesim-tmp-Q1w2E3", gone);
  const fs::path stale_old = s.dir / fmt::format("best.yaml.tmp.{}", gone);
  const fs::path live = s.dir / fmt::format(".best.yaml.{}.nesim-tmp-Z9x8C7", getppid());
  for (const fs::path& p : {stale_new, stale_old, live}) std::ofstream(p) << "partial";
  OutputFiles files;
  files.add(out.string(), "name: best\n");
  files.commit();
  CHECK_FALSE(fs::exists(stale_new));
  CHECK_FALSE(fs::exists(stale_old));
  CHECK(fs::exists(live));
  CHECK(nesim::test::read_text(out) == "name: best\n");
}

TEST_CASE("paths that cannot be written are input errors before anything is written") {
  Scratch s;
  fs::create_directories(s.dir / "sub");
  OutputFiles files;
  CHECK_THROWS_AS(files.add((s.dir / "sub").string(), "x"), nesim::InputError);
  CHECK_THROWS_AS(files.add((s.dir / "missing" / "x.csv").string(), "x"), nesim::InputError);
  CHECK_THROWS_AS(files.add("", "x"), nesim::InputError);
  CHECK(std::distance(fs::directory_iterator(s.dir / "sub"), fs::directory_iterator()) == 0);
}

TEST_CASE("/dev/fd/N names the descriptor: written through it, the file it is open on is not replaced") {
  Scratch s;
  const fs::path target = s.dir / "redirected.csv";
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd > 2);
  struct stat before {};
  REQUIRE(fstat(fd, &before) == 0);
  {
    const std::string path = fmt::format("/proc/self/fd/{}", fd);
    CHECK(nesim::descriptor_alias(path) == fd);
    OutputFiles files;
    files.add(path, "a,b\n1,2\n");
    files.commit();
  }
  ::close(fd);
  struct stat after {};
  REQUIRE(stat(target.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // the same file, written in place, not renamed over
  CHECK(nesim::test::read_text(target) == "a,b\n1,2\n");
  CHECK(s.files() == 1);  // no temporary left beside it
  CHECK(nesim::descriptor_alias("/dev/stdout") == 1);
  CHECK(nesim::descriptor_alias("/dev/fd/x") == -1);
  CHECK(nesim::descriptor_alias("out/dev/stdout") == -1);
}

TEST_CASE("a descriptor that is not open for writing is refused by name") {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd > 2);
  const std::string path = fmt::format("/dev/fd/{}", fd);
  CHECK_THROWS_WITH_AS(nesim::check_writable(path), doctest::Contains("not open for writing"), nesim::InputError);
  ::close(fd);
  CHECK_THROWS_AS(nesim::check_writable("/dev/fd/999"), nesim::InputError);
}
