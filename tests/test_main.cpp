// Shared doctest main. SystemC warnings are promoted to errors in the engine itself when
// NESIM_STRICT_SYSTEMC is set, which every test binary does here (VCML's habit).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("NESIM_STRICT_SYSTEMC", "1", 1);
  doctest::Context ctx;
  ctx.applyCommandLine(argc, argv);
  return ctx.run();
}
