// SPDX-License-Identifier: MIT
// CGINIT_* and TINI_* environment variables to an OptionsLayer; pure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

struct EnvResult {
  OptionsLayer layer;
  std::optional<std::string> configPath;  // CGINIT_CONFIG
};

/// Looks a variable up; returns nullptr when it is not set. Passed in so tests need no setenv.
using EnvLookup = std::function<const char*(const char*)>;

/// A lookup in `envp` ("NAME=value" strings ending with nullptr, as environ) that collects the
/// CGINIT_* and TINI_* entries in one pass, where getenv() walks the whole environment once per
/// name. The first entry of a name wins, as with getenv(). `envp` must outlive the lookup.
EnvLookup environmentLookup(char* const* envp);

/// The names of the CGINIT_* variables in `envp` that cginit does not know (a typo such as
/// CGINIT_PIDSMAX), in the order of `envp`: main() warns about each, where the file would say
/// "unknown key" and exit 2.
std::vector<std::string> unknownVariables(char* const* envp);

/// Reads CGINIT_CONFIG, the CGINIT_* variable of every setting that has one (option_table.cpp),
/// and tini's TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP and TINI_VERBOSITY. An empty CGINIT_*
/// value counts as unset; the TINI_* flags are on when set at all, as in tini; CGINIT_* wins
/// over TINI_*. An Error names the variable.
Result<EnvResult> parseEnvironment(const EnvLookup& lookup);

}  // namespace cginit
