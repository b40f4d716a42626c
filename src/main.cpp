// SPDX-License-Identifier: MIT
// Entry point: settings from argv, environment and file; help/version/license; the supervisor.
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cginit/cli.h"
#include "cginit/config_file.h"
#include "cginit/license.h"
#include "cginit/log.h"
#include "cginit/settings.h"
#include "cginit/supervisor.h"
#include "cginit/sys.h"

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

/// Says what ended cginit, then aborts, allocating nothing (it may be std::bad_alloc).
/// libstdc++'s default handler names the exception's type through the C++ demangler, which
/// alone is about 50 KB of the static binary.
[[noreturn]] void onTerminate() noexcept {
  std::string_view reason = "no exception is active";
  // `active` keeps the exception, and so the text that what() returns, alive until abort().
  const std::exception_ptr active = std::current_exception();
  if (active) {
    try {
      std::rethrow_exception(active);
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
      reason = "an exception that is not a std::exception";
    }
  }
  std::array<char, 512> line{};
  char* end = fmt::format_to_n(line.data(), line.size() - 1,
                               "[cginit] [critical] terminate called: {}", reason)
                  .out;
  *end++ = '\n';
  (void)cginit::sys::writeAll(
      STDERR_FILENO, std::string_view(line.data(), static_cast<size_t>(end - line.data())));
  std::abort();
}

}  // namespace

// libstdc++ keeps its default terminate handler in an archive member of its own
// (eh_term_handler.o) so that a program can define it instead; then the static link leaves the
// verbose handler and the demangler out.
namespace __cxxabiv1 {
std::terminate_handler __terminate_handler = onTerminate;
}  // namespace __cxxabiv1

int main(int argc, char** argv) {
  // Errors before the settings are known still go through the one logger, at its default level.
  cginit::initLogging(cginit::Verbosity::Warn);
  const std::vector<std::string> args(argv, argv + argc);
  auto settings = cginit::loadSettings(args, cginit::environmentLookup(environ));
  if (!settings) {
    spdlog::error("{}", settings.error().message);
    return kExitUsage;
  }
  cginit::initLogging(settings->options.verbosity);
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
  cginit::Supervisor supervisor(std::move(settings->options), std::move(settings->programArgv));
  auto code = supervisor.run();
  if (!code) {
    spdlog::error("{}", code.error().message);
    return code.error().usage ? kExitUsage : kExitFailure;
  }
  return *code;
}
