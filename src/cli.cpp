// SPDX-License-Identifier: MIT
// The command line: argv to an OptionsLayer, the program's argv and an action; pure.
#include "cginit/cli.h"

#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>

#include "cginit/duration.h"
#include "cginit/signal_names.h"
#include "cginit/version.h"

namespace cginit {
namespace {

enum class Opt {
  Help,
  Version,
  Verbose,
  Subreaper,
  Pdeathsig,
  KillGroup,
  RemapExit,
  WarnOnReap,
  License,
  Config,
  Cgroup,
  PidsMax,
  Limit,
  Forward,
  Rewrite,
  Grace,
  StopSignal,
  StopTimeout,
  Report,
  PrintConfig,
};

struct OptSpec {
  char shortName;  // 0 when there is none
  std::string_view longName;
  bool hasArg;
  Opt id;
};

constexpr std::array<OptSpec, 20> kOpts = {{
    {'h', "help", false, Opt::Help},
    {0, "version", false, Opt::Version},
    {'v', "", false, Opt::Verbose},
    {'s', "subreaper", false, Opt::Subreaper},
    {'p', "pdeathsig", true, Opt::Pdeathsig},
    {'g', "kill-process-group", false, Opt::KillGroup},
    {'e', "remap-exit", true, Opt::RemapExit},
    {'w', "warn-on-reap", false, Opt::WarnOnReap},
    {'l', "license", false, Opt::License},
    {0, "config", true, Opt::Config},
    {0, "cgroup", true, Opt::Cgroup},
    {0, "pids-max", true, Opt::PidsMax},
    {0, "limit", true, Opt::Limit},
    {0, "forward", true, Opt::Forward},
    {0, "rewrite", true, Opt::Rewrite},
    {0, "grace", true, Opt::Grace},
    {0, "stop-signal", true, Opt::StopSignal},
    {0, "stop-timeout", true, Opt::StopTimeout},
    {0, "report", true, Opt::Report},
    {0, "print-config", false, Opt::PrintConfig},
}};

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF), as TOML requires of every string.
bool isUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned min = 0;  // the smallest code point that needs this many bytes
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xe0) == 0xc0) {
      length = 2;
      min = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      min = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) {
      return false;
    }
    unsigned cp = lead & (0x7fu >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (next & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

/// Stores one option with its value into the result.
class Applier {
 public:
  explicit Applier(CliResult& out) : out_(out) {}

  Status apply(Opt id, const std::string& value) {
    OptionsLayer& l = out_.layer;
    switch (id) {
      case Opt::Help:
        setAction(Action::Help);
        return {};
      case Opt::Version:
        setAction(Action::Version);
        return {};
      case Opt::License:
        setAction(Action::License);
        return {};
      case Opt::PrintConfig:
        setAction(Action::PrintConfig);
        return {};
      case Opt::Verbose:
        ++verbose_;
        l.verbosity = verbosityFromCount(verbose_);
        return {};
      case Opt::Subreaper:
        l.subreaper = true;
        return {};
      case Opt::KillGroup:
        l.forward = ForwardTarget::Group;
        return {};
      case Opt::WarnOnReap:
        l.warnOnReap = true;
        return {};
      case Opt::Pdeathsig:
        return store(parseSignal(value), l.pdeathsig);
      case Opt::RemapExit: {
        auto code = parseExitCode(value);
        if (!code) {
          return std::move(code).error();
        }
        if (!l.remapExit) {
          l.remapExit.emplace();
        }
        l.remapExit->push_back(*code);
        return {};
      }
      case Opt::Config:
        if (value.empty()) {
          return usageError("empty file name");
        }
        out_.configPath = value;
        return {};
      case Opt::Cgroup:
        return store(parseCgroupMode(value), l.cgroupMode);
      case Opt::PidsMax:
        return store(parsePidsMax(value), l.pidsMax);
      case Opt::Limit: {
        auto limit = parseLimit(value);
        if (!limit) {
          return std::move(limit).error();
        }
        if (!l.limits) {
          l.limits.emplace();
        }
        auto& v = *l.limits;
        std::erase_if(v, [&](const Limit& x) { return x.file == limit->file; });
        v.push_back(*limit);
        return {};
      }
      case Opt::Forward:
        return store(parseForward(value), l.forward);
      case Opt::Rewrite: {
        auto pair = parseRewrite(value);
        if (!pair) {
          return std::move(pair).error();
        }
        if (!l.rewrite) {
          l.rewrite.emplace();
        }
        (*l.rewrite)[pair->first] = pair->second;
        return {};
      }
      case Opt::Grace:
        return store(parseDuration(value), l.grace);
      case Opt::StopSignal:
        return store(parseStopSignal(value), l.stopSignal);
      case Opt::StopTimeout:
        return store(parseDuration(value), l.stopTimeout);
      case Opt::Report:
        if (value.empty()) {
          return usageError("empty report path");
        }
        // --print-config prints it as a TOML string, and TOML is UTF-8 only.
        if (!isUtf8(value)) {
          return usageError("report path is not valid UTF-8");
        }
        l.reportPath = value;
        return {};
    }
    return {};
  }

 private:
  template <typename T>
  static Status store(Result<T> parsed, std::optional<T>& slot) {
    if (!parsed) {
      return std::move(parsed).error();
    }
    slot = std::move(parsed).value();
    return {};
  }

  void setAction(Action action) {
    // Help wins over everything, then version and license, then print-config (tini's order).
    if (out_.action == Action::Run || static_cast<int>(action) < static_cast<int>(out_.action)) {
      out_.action = action;
    }
  }

  CliResult& out_;
  int verbose_ = 0;
};

std::string optionLabel(const OptSpec& spec) {
  if (spec.shortName != 0 && !spec.longName.empty()) {
    return fmt::format("-{}/--{}", spec.shortName, spec.longName);
  }
  return spec.shortName != 0 ? fmt::format("-{}", spec.shortName)
                             : fmt::format("--{}", spec.longName);
}

Status applyWithLabel(Applier& applier, const OptSpec& spec, const std::string& value) {
  auto st = applier.apply(spec.id, value);
  if (!st) {
    return std::move(st).error().context("option " + optionLabel(spec));
  }
  return {};
}

}  // namespace

Result<CliResult> parseCommandLine(const std::vector<std::string>& argv) {
  CliResult out;
  Applier applier(out);
  size_t i = 1;
  for (; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') {
      break;  // the first word that is not an option starts the program
    }
    if (word[1] == '-') {
      // --name or --name=value
      const auto eq = word.find('=');
      const std::string_view name =
          std::string_view(word).substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const auto* spec = std::find_if(kOpts.begin(), kOpts.end(), [&](const OptSpec& s) {
        return !s.longName.empty() && s.longName == name;
      });
      if (spec == kOpts.end()) {
        return usageError(fmt::format("unknown option '--{}' (see --help)", name));
      }
      std::string value;
      if (spec->hasArg) {
        if (eq != std::string::npos) {
          value = word.substr(eq + 1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          return usageError(fmt::format("option --{} needs a value", name));
        }
      } else if (eq != std::string::npos) {
        return usageError(fmt::format("option --{} takes no value", name));
      }
      if (auto st = applyWithLabel(applier, *spec, value); !st) {
        return std::move(st).error();
      }
      continue;
    }
    // A cluster of short options: -vvv, -sg, -p SIGKILL, -pSIGKILL, -e143.
    for (size_t j = 1; j < word.size(); ++j) {
      const char c = word[j];
      const auto* spec = std::find_if(kOpts.begin(), kOpts.end(),
                                      [&](const OptSpec& s) { return s.shortName == c; });
      if (spec == kOpts.end()) {
        return usageError(fmt::format("unknown option '-{}' (see --help)", c));
      }
      std::string value;
      if (spec->hasArg) {
        if (j + 1 < word.size()) {
          value = word.substr(j + 1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          return usageError(fmt::format("option -{} needs a value", c));
        }
        j = word.size();
      }
      if (auto st = applyWithLabel(applier, *spec, value); !st) {
        return std::move(st).error();
      }
    }
  }
  if (out.action == Action::Run) {
    out.programArgv.assign(argv.begin() + static_cast<std::ptrdiff_t>(std::min(i, argv.size())),
                           argv.end());
    if (out.programArgv.empty()) {
      return usageError("no program given (usage: cginit [OPTION]... [--] PROGRAM [ARG]...)");
    }
  }
  return out;
}

std::string versionText() {
  // tini's shape: docker info splits at " - " and reads the commit after "git.".
  if (*kGitCommit == '\0') {
    return fmt::format("cginit version {}\n", kVersion);
  }
  return fmt::format("cginit version {} - git.{}\n", kVersion, kGitCommit);
}

std::string usageText(std::string_view argv0) {
  return fmt::format(
      R"(cginit (version {}) - a PID 1 for containers that owns its cgroup
Usage: {} [OPTION]... [--] PROGRAM [ARG]...

Runs PROGRAM, reaps zombies, forwards signals and passes on the exit status, like tini;
puts the program into a cgroup v2 subtree of its own, caps it, and empties it on shutdown.

tini-compatible options:
  -h, --help                 show this help and exit
  --version                  show the version and exit
  -v                         more logging (repeatable: info, debug, trace)
  -s, --subreaper            register as a child subreaper when not PID 1
  -p, --pdeathsig SIGNAL     have the kernel send SIGNAL to cginit when its parent dies
  -g, --kill-process-group   forward signals to the program's process group (--forward group)
  -e, --remap-exit CODE      treat the program's exit CODE as 0 (repeatable)
  -w, --warn-on-reap         warn when reaping a zombie other than the program
  -l, --license              show the license and exit

cginit options:
  --config FILE              TOML configuration (default $CGINIT_CONFIG)
  --cgroup auto|required|off manage a cgroup subtree (default auto)
  --pids-max N|max           pids.max of the workload cgroup
  --limit FILE=VALUE         write a cgroup v2 file of the workload cgroup (repeatable)
  --forward child|group|cgroup  where forwarded signals go (default child)
  --rewrite FROM:TO          deliver signal TO when FROM is received (repeatable)
  --grace DURATION           time for the stop signal before killing at shutdown (default 5s)
  --stop-signal SIGNAL       the polite signal sent at shutdown (default SIGTERM)
  --stop-timeout DURATION    kill the workload this long after a stop request (default none)
  --report FILE              write a JSON exit report to FILE (- for stderr)
  --print-config             print the effective configuration as TOML and exit

Environment: CGINIT_CONFIG, CGINIT_VERBOSITY, CGINIT_PIDS_MAX, CGINIT_CGROUP, CGINIT_GRACE,
TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP, TINI_VERBOSITY.
Exit status: the program's; 128+N if signal N killed it; 126/127 if it could not be run;
2 for usage and configuration errors; 1 if cginit itself failed.
)",
      kVersion, argv0);
}

}  // namespace cginit
