// SPDX-License-Identifier: MIT
// Entry point: settings from argv, environment and file; help/version/license; the supervisor.
#include <malloc.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "cginit/cli.h"
#include "cginit/config_file.h"
#include "cginit/license.h"
#include "cginit/log.h"
#include "cginit/report.h"
#include "cginit/settings.h"
#include "cginit/supervisor.h"
#include "cginit/sys.h"
#include "cginit/text.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int printStdout(const std::string& text) {
  if (auto st = cginit::sys::writeAll(STDOUT_FILENO, text); !st) {
    spdlog::error("{}", st.error().message);
    return kExitFailure;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An init lives as long as its container and must not keep what one burst cost: a list of
  // 10,000 pids read for --forward cgroup or a drain is ~100 kB that glibc would keep in the
  // heap for good (it trims only above 128 kB of free top, and adapts the mmap threshold
  // upwards after each large free). Fixed thresholds: a buffer of 32 kB or more is mmap()ed and
  // returned at free(), and free heap above 64 kB is given back. Below that nothing changes.
  (void)::mallopt(M_MMAP_THRESHOLD, 32 * 1024);
  (void)::mallopt(M_TRIM_THRESHOLD, 64 * 1024);
  // Errors before the settings are known still go through the one logger, at its default level.
  cginit::initLogging(cginit::Verbosity::Warn);
  const std::vector<std::string> args(argv, argv + argc);
  auto settings = cginit::loadSettings(args, cginit::environmentLookup(environ));
  if (!settings) {
    spdlog::error("{}", settings.error().message);
    return kExitUsage;
  }
  cginit::initLogging(settings->options.verbosity);
  if (settings->action == cginit::Action::Run || settings->action == cginit::Action::PrintConfig) {
    // A TOML typo is exit 2; a misspelt variable must not be silent either (its value may be a
    // secret: only the name is logged).
    for (const std::string& name : cginit::unknownVariables(environ)) {
      spdlog::warn("ignoring unknown environment variable {}", cginit::quoted(name));
    }
  }
  switch (settings->action) {
    case cginit::Action::Help:
      return printStdout(cginit::usageText(args.empty() ? "cginit" : args[0]));
    case cginit::Action::Version:
      return printStdout(cginit::versionText());
    case cginit::Action::License:
      return printStdout(std::string(cginit::kLicenseText));
    case cginit::Action::PrintConfig:
      return printStdout(cginit::formatConfig(settings->options));
    case cginit::Action::Run:
      break;
  }
  // An unwritable report is found now, not after the program ran (the supervisor writes it).
  if (const auto& report = settings->options.reportPath) {
    if (auto st = cginit::checkReportPath(*report); !st) {
      spdlog::error("{}", st.error().message);
      return kExitUsage;
    }
  }
  cginit::Supervisor supervisor(std::move(settings->options), std::move(settings->programArgv));
  auto code = supervisor.run();
  if (!code) {
    spdlog::error("{}", code.error().message);
    return code.error().usage ? kExitUsage : kExitFailure;
  }
  return *code;
}
