// SPDX-License-Identifier: MIT
// Everything cginit is told at start-up: command line, environment and configuration file, merged.
#pragma once

#include <string>
#include <vector>

#include "cginit/cli.h"
#include "cginit/env.h"
#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

/// What main() does next, with the merged options and the program to run.
struct Settings {
  Action action = Action::Run;
  Options options;
  std::vector<std::string> programArgv;
};

/// argv + environment (+ the config file named by --config, else CGINIT_CONFIG) merged as
/// defaults < file < environment < command line. Any error -> Error (main turns it into exit 2).
/// For --help, --version and --license neither the environment nor the file is read, so that
/// they work whatever is broken there.
Result<Settings> loadSettings(const std::vector<std::string>& argv, const EnvLookup& env);

}  // namespace cginit
