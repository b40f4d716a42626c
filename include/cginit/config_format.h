// SPDX-License-Identifier: MIT
// Options back to TOML for --print-config; pure, and no toml++.
#pragma once

#include <string>
#include <string_view>

#include "cginit/options.h"

namespace cginit {

/// The effective configuration as TOML that parseConfig() reads back to the same Options.
std::string formatConfig(const Options& options);

/// A TOML basic string: quotes and backslashes escaped, control characters as \uXXXX.
std::string tomlString(std::string_view text);

}  // namespace cginit
