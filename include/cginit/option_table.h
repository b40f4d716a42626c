// SPDX-License-Identifier: MIT
// The one table of settings that the command line, the environment, the TOML file, merge() and
// --print-config read from: a new setting is one row here (and one line of --help); pure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cginit/options.h"
#include "cginit/result.h"

namespace cginit {

/// How a setting's value is spelled in each source.
enum class ValueForm {
  Flag,           // boolean; the command line takes no value (tini's -s, -w), TOML a boolean
  Bool,           // boolean; `--name` alone is true, `--name=BOOL` (only with '='), TOML a boolean
  Text,           // a value; TOML a string
  TextOrInteger,  // a value; TOML a string or an integer (`pdeathsig = 9`, `grace = 10`)
  List,           // repeatable; TOML an array of integers; environment comma-separated
  Map,            // repeatable; TOML an inline table, read by its own reader in config_file.cpp;
                  // environment comma-separated
};

/// One setting and how every source spells it. Empty names mean "this source has none".
struct Setting {
  std::string_view longName;  // --long-name (cli.cpp adds the options that are no settings)
  char shortName;             // -x, 0 when none
  std::string_view env;       // CGINIT_NAME
  std::string_view table;     // TOML [table]
  std::string_view key;       // TOML key in that table
  ValueForm form;
  /// Parses one value and stores it; List and Map settings add one element (the later of two
  /// for the same key wins). The Error describes the value; the caller says where it came from.
  Status (*set)(std::string_view text, OptionsLayer& layer);
  /// The environment's parser where it differs from `set` (verbosity takes tini's numbers), or
  /// nullptr.
  Status (*setFromEnv)(std::string_view text, OptionsLayer& layer);
  /// Makes a List or Map setting present and empty (TOML `remap_exit = []`); nullptr otherwise.
  void (*clear)(OptionsLayer& layer);
  /// Applies the layer's value, when it has one, onto the merged options.
  void (*merge)(Options& options, const OptionsLayer& layer);
  /// The TOML value that --print-config prints, nullopt when the setting is unset.
  std::optional<std::string> (*print)(const Options& options);
  /// What an unset setting means, printed as a comment by --print-config.
  std::string_view unset;
};

/// Every setting, in the order --print-config prints them (grouped by TOML table).
std::span<const Setting> settingsTable();
/// The TOML tables, in the order they are printed.
std::span<const std::string_view> configTables();

/// The setting with this command-line long name, this environment variable, or this TOML key.
const Setting* findByLongName(std::string_view name);
const Setting* findByShortName(char name);
const Setting* findByEnv(std::string_view name);
const Setting* findByKey(std::string_view table, std::string_view key);

/// The environment variables cginit reads besides the table's: CGINIT_CONFIG.
inline constexpr std::string_view kConfigEnv = "CGINIT_CONFIG";

/// "true", "false", "1", "0", "yes", "no" (lower case, as systemd and podman accept them).
Result<bool> parseBool(std::string_view text);

}  // namespace cginit
