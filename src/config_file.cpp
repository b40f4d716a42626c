// SPDX-License-Identifier: MIT
// Placeholder until the config-file module lands.
#include "cginit/config_file.h"

namespace cginit {

Result<OptionsLayer> parseConfig(std::string_view, std::string_view path) {
  return usageError(std::string(path) + ": configuration files are not supported yet");
}
Result<OptionsLayer> loadConfig(const std::string& path) { return parseConfig({}, path); }
std::string formatConfig(const Options&) { return {}; }

}  // namespace cginit
