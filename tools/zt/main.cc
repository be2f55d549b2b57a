// zt: the ztkit command-line tool.
#include <CLI/CLI.hpp>

#include "tools/zt/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"zt: a user-space ZeroTier node (ztkit)"};
  app.require_subcommand(1);
  int exit_code = 0;
  ztkit::tools::add_selfcheck_command(app, exit_code);
  ztkit::tools::add_root_command(app, exit_code);
  ztkit::tools::add_node_command(app, exit_code);
  ztkit::tools::add_demo_command(app, exit_code);
  ztkit::tools::add_net_commands(app, exit_code);
  ztkit::tools::add_idtool_command(app, exit_code);
  ztkit::tools::add_controller_command(app, exit_code);
  ztkit::tools::add_expose_command(app, exit_code);
  ztkit::tools::add_proxy_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
