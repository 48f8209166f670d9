// `nesim hwconfig-doc`: the reference of every hardware key, from their declarations.
#include <iostream>

#include "sim/cli/cli_util.h"

namespace nesim::cli {

Command add_hwconfig_doc_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "hwconfig-doc", "Print the Markdown reference of every hardware config key (docs/hwconfig.md)");
  return {app, [] {
            std::cout << hw_keys_markdown();
            return 0;
          }};
}

}  // namespace nesim::cli
