// SPDX-License-Identifier: MIT
// Helpers shared by the libFuzzer targets: splitting the input and the --print-config invariant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cginit/config_file.h"
#include "cginit/options.h"

namespace cginit::fuzz {

/// The input as text.
inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits the input into words at every NUL or newline (empty words kept: "" is an argument too).
inline std::vector<std::string> splitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text) {
    if (c == '\0' || c == '\n') {
      words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!text.empty()) {
    words.push_back(std::move(word));
  }
  return words;
}

/// What --print-config promises: the effective configuration that `layer` gives, printed as TOML,
/// reads back to the same Options and prints the same again. Traps when it does not.
inline void checkPrintConfigRoundTrip(const OptionsLayer& layer) {
  const Options options = merge({&layer});
  const std::string text = formatConfig(options);
  auto reread = parseConfig(text, "print-config.toml");
  if (!reread) {
    __builtin_trap();
  }
  const Options again = merge({&*reread});
  if (!(again == options) || formatConfig(again) != text) {
    __builtin_trap();
  }
}

}  // namespace cginit::fuzz
