// SPDX-License-Identifier: MIT
// Everything cginit is told at start-up: command line, environment and configuration file, merged.
#include "cginit/settings.h"

#include <utility>

#include "cginit/config_file.h"

namespace cginit {
namespace {

Error asUsage(Error error) {
  error.usage = true;
  return error;
}

}  // namespace

Result<Settings> loadSettings(const std::vector<std::string>& argv, const EnvLookup& env) {
  auto cli = parseCommandLine(argv);
  if (!cli) {
    return asUsage(std::move(cli).error());
  }
  Settings settings;
  settings.action = cli->action;
  if (cli->action == Action::Help || cli->action == Action::Version ||
      cli->action == Action::License) {
    settings.options = merge({&cli->layer});
    return settings;
  }
  auto environment = parseEnvironment(env);
  if (!environment) {
    return asUsage(std::move(environment).error());
  }
  // --config on the command line wins over CGINIT_CONFIG, like every other setting.
  const std::optional<std::string>& configPath =
      cli->configPath ? cli->configPath : environment->configPath;
  OptionsLayer file;
  if (configPath) {
    auto loaded = loadConfig(*configPath);
    if (!loaded) {
      return asUsage(std::move(loaded).error());
    }
    file = std::move(loaded).value();
  }
  settings.options = merge({&file, &environment->layer, &cli->layer});
  settings.programArgv = std::move(cli->programArgv);
  return settings;
}

}  // namespace cginit
