// SPDX-License-Identifier: MIT
// Options back to TOML for --print-config; pure, and no toml++.
#include "cginit/config_format.h"

#include <fmt/format.h>

#include "cginit/option_table.h"

namespace cginit {

std::string tomlString(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned>(byte));
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

std::string formatConfig(const Options& options) {
  std::string out =
      "# The effective configuration of cginit (defaults < file < environment < command line).\n";
  for (const std::string_view table : configTables()) {
    out += fmt::format("{}[{}]\n", table == configTables().front() ? "" : "\n", table);
    for (const Setting& s : settingsTable()) {
      if (s.table != table) {
        continue;
      }
      if (auto value = s.print(options)) {
        out += fmt::format("{} = {}\n", s.key, *value);
      } else {
        out += fmt::format("# {} is not set: {}\n", s.key, s.unset);
      }
    }
  }
  return out;
}

}  // namespace cginit
