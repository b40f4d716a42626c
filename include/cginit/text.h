// SPDX-License-Identifier: MIT
// Text helpers every layer uses: decimal integers, UTF-8 validity, and quoting outside text for
// log lines; pure.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace cginit {

/// The whole of `text` as a decimal integer of type T: std::from_chars rules (no sign for an
/// unsigned T, '-' only for a signed one, no '+', no blanks, leading zeros allowed). nullopt when
/// it is empty, has anything else or does not fit in T.
template <typename T>
std::optional<T> parseInt(std::string_view text) {
  T value{};
  if (text.empty()) {
    return std::nullopt;
  }
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF), as TOML requires of every string.
bool isUtf8(std::string_view text);

/// `text` between single quotes, safe to put into a log line: control characters (C0, DEL and
/// U+0080..U+009F) as \n, \t, \r or \xNN, bytes that are not UTF-8 as \xNN, and the quote and
/// the backslash escaped. Every value from outside cginit (environment, argv, files) that goes
/// into a message goes through this, so that it cannot forge a log line or a terminal sequence.
std::string quoted(std::string_view text);

/// The same without the quotes: only the escapes (for file names inside "call NAME: error").
std::string escaped(std::string_view text);

}  // namespace cginit
