// SPDX-License-Identifier: MIT
// Signal names ("TERM", "SIGTERM", "rtmin+3", "15") to numbers and back; pure.
#include "cginit/signal_names.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>

#include "cginit/text.h"

namespace cginit {
namespace {

struct NamedSignal {
  std::string_view name;  // without "SIG"
  int signo;
};

// The standard signals of Linux on x86-64/arm64; real-time signals are handled separately.
constexpr std::array<NamedSignal, 34> kSignals = {{
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::optional<int> parseNumber(std::string_view text) {
  return parseInt<int>(text);
}

Error invalid(std::string_view text) {
  return usageError("invalid signal " + quoted(text));
}

}  // namespace

Result<int> parseSignal(std::string_view text) {
  if (auto n = parseNumber(text)) {
    if (*n < 1 || *n > SIGRTMAX) {
      return invalid(text);
    }
    return *n;
  }
  std::string name = upper(text);
  if (name.rfind("SIG", 0) == 0) {
    name.erase(0, 3);
    // "SIG32" is how signalName() spells a signal without a name: read it back.
    if (auto n = parseNumber(name); n && *n >= 1 && *n <= SIGRTMAX) {
      return *n;
    }
  }
  for (const auto& s : kSignals) {
    if (s.name == name) {
      return s.signo;
    }
  }
  // RTMIN, RTMIN+N, RTMAX, RTMAX-N, relative to glibc's run-time SIGRTMIN (34, not the kernel's
  // 32).
  struct RealTimeBase {
    std::string_view prefix;
    int base;
    int sign;
  };
  for (const RealTimeBase& rt :
       {RealTimeBase{"RTMIN", SIGRTMIN, 1}, RealTimeBase{"RTMAX", SIGRTMAX, -1}}) {
    const auto& [prefix, base, sign] = rt;
    if (name.rfind(prefix, 0) != 0) {
      continue;
    }
    std::string_view rest = std::string_view(name).substr(prefix.size());
    int offset = 0;
    if (!rest.empty()) {
      if (rest[0] != (sign > 0 ? '+' : '-')) {
        return invalid(text);
      }
      auto n = parseNumber(rest.substr(1));
      if (!n || *n < 0) {
        return invalid(text);
      }
      offset = *n;
    }
    const int signo = base + sign * offset;
    if (signo < SIGRTMIN || signo > SIGRTMAX) {
      return invalid(text);
    }
    return signo;
  }
  return invalid(text);
}

std::string signalName(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    return signo == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  }
  for (const auto& s : kSignals) {
    // The first name in the table is the canonical one (IOT, CLD and POLL are aliases listed
    // after).
    if (s.signo == signo) {
      return "SIG" + std::string(s.name);
    }
  }
  return "SIG" + std::to_string(signo);
}

}  // namespace cginit
