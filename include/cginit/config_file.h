// SPDX-License-Identifier: MIT
// The TOML configuration file to an OptionsLayer, and Options back to TOML. The only user of
// toml++.
#pragma once

#include <string>
#include <string_view>

#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

/// Parses TOML text; `path` names the file in messages ("PATH:LINE:COL: message"). Pure.
Result<OptionsLayer> parseConfig(std::string_view text, std::string_view path);

/// Reads the file at `path` and parses it. A missing or unreadable file is an Error with the
/// errno text.
Result<OptionsLayer> loadConfig(const std::string& path);

/// The effective configuration as TOML that parseConfig() reads back to the same Options.
std::string formatConfig(const Options& options);

}  // namespace cginit
