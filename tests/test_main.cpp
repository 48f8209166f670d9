// Shared doctest main. SystemC warnings are promoted to errors in the engine itself when
// NESIM_STRICT_SYSTEMC is set, which every test binary does here (VCML's habit). Searches that
// name no accuracy signal get the same one whether or not this checkout has trained its
// supernets (supernets/*.bin): NESIM_SUPERNET_DIR points at a folder that holds none.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("NESIM_STRICT_SYSTEMC", "1", 1);
  setenv("NESIM_SUPERNET_DIR", "/nonexistent/nesim-tests-use-no-supernet", 1);
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
