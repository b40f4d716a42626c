// SPDX-License-Identifier: MIT
// The workaround for toml++'s undefined behaviour on some non-ASCII characters; pure, no toml++.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace cginit {

/// For marzer/tomlplusplus#190 and #295 (fixed upstream by PR #305): toml++ 3.3
/// tests some non-ASCII characters for being whitespace with undefined behaviour (it reaches
/// TOML_UNREACHABLE). The byte offset of the first character where that could happen, which
/// config_file.cpp reports as a syntax error before toml++ sees the text; nullopt when there is
/// none. Remove with the fixed toml++.
std::optional<size_t> findNonAsciiTomlCannotRead(std::string_view text);

}  // namespace cginit
