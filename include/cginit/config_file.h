// SPDX-License-Identifier: MIT
// The TOML configuration file to an OptionsLayer. The only user of toml++; the way back to TOML
// (formatConfig) is config_format.h, included here for the callers of both.
#pragma once

#include <string>
#include <string_view>

#include "cginit/config_format.h"
#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

/// Parses TOML text; `path` names the file in messages ("PATH:LINE:COL: message"). Pure.
Result<OptionsLayer> parseConfig(std::string_view text, std::string_view path);

/// Reads the file at `path` and parses it. A missing or unreadable file is an Error with the
/// errno text; a FIFO, socket or device is refused without blocking (opened O_NONBLOCK).
Result<OptionsLayer> loadConfig(const std::string& path);

}  // namespace cginit
