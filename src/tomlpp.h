// SPDX-License-Identifier: MIT
// toml++ as cginit compiles it, with the workaround for its asserting parser; included by
// config_file.cpp only, the one user of toml++ (toml_non_ascii.h has the other workaround).
#pragma once

// For marzer/tomlplusplus#294 ("[&" asserts) and the parse_key() precondition that
// PR #301 fixes ("[[[1]]]", "[[="): toml++ 3.3 asserts on some malformed files ("[)", "a = [}")
// that its parser goes on to report as a syntax error. A typo in the configuration must give
// exit 2 and a message, never an abort. So the parser is compiled in config_file.cpp, even where
// Debian's .so (built with assertions) is linked, with the checks off as in toml++'s own NDEBUG
// builds. Remove when the toml++ that cginit builds with has both fixes.
#ifndef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#endif
#define TOML_ASSERT(expr) static_assert(true)
// Floats through std::from_chars instead of a std::stringstream (toml++ assumes GCC lacks it; GCC
// 11+ has it), which keeps iostreams and std::locale out of the static binary. No bug: a setting.
#define TOML_FLOAT_CHARCONV 1
#include <toml++/toml.h>
