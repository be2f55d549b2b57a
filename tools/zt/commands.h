// The `zt` subcommands: each registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

namespace ztkit::tools {

// `zt selfcheck`: crypto known-answer tests and a speed summary. Sets `exit_code`.
void add_selfcheck_command(CLI::App& app, int& exit_code);

}  // namespace ztkit::tools
