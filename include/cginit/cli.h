// SPDX-License-Identifier: MIT
// The command line: argv to an OptionsLayer, the program's argv and an action; pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

enum class Action { Run, Help, Version, License, PrintConfig };

struct CliResult {
  Action action = Action::Run;
  OptionsLayer layer;
  std::optional<std::string> configPath;  // --config
  std::vector<std::string> programArgv;   // empty unless action is Run
};

/// Parses argv (argv[0] is cginit itself). Parsing stops at the first word that is not an option
/// or after "--". An Error names the option and the value; main() turns it into exit 2.
Result<CliResult> parseCommandLine(const std::vector<std::string>& argv);

/// The --help text.
std::string usageText(std::string_view argv0);
/// The --version line: "cginit version X.Y.Z - git.<commit>" (tini's shape, parsed by docker info).
std::string versionText();

}  // namespace cginit
