// SPDX-License-Identifier: MIT
// The command line: argv to an OptionsLayer, the program's argv and an action; pure.
#include "cginit/cli.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "cginit/option_table.h"
#include "cginit/text.h"
#include "cginit/version.h"

namespace cginit {
namespace {

/// The options that are no setting of the table: actions, -v (counted), -g (an alias) and
/// --config (which names the file rather than setting something in it).
enum class Special { Help, Version, Verbose, KillGroup, License, Config, PrintConfig };

struct SpecialOption {
  char shortName;  // 0 when there is none
  std::string_view longName;
  bool hasArg;
  Special id;
};

constexpr std::array<SpecialOption, 7> kSpecial = {{
    {'h', "help", false, Special::Help},
    {0, "version", false, Special::Version},
    {'v', "", false, Special::Verbose},
    {'g', "kill-process-group", false, Special::KillGroup},
    {'l', "license", false, Special::License},
    {0, "config", true, Special::Config},
    {0, "print-config", false, Special::PrintConfig},
}};

/// One option of the command line: a special one or a setting of the table.
struct Opt {
  const SpecialOption* special = nullptr;
  const Setting* setting = nullptr;

  explicit operator bool() const { return special != nullptr || setting != nullptr; }
  char shortName() const { return special ? special->shortName : setting->shortName; }
  std::string_view longName() const { return special ? special->longName : setting->longName; }
  /// Whether the value is required (a separate word when not attached).
  bool needsValue() const {
    return special ? special->hasArg
                   : setting->form != ValueForm::Flag && setting->form != ValueForm::Bool;
  }
  /// Whether `--name=VALUE` is allowed.
  bool takesValue() const { return needsValue() || (setting && setting->form == ValueForm::Bool); }
};

Opt findLong(std::string_view name) {
  const auto* special = std::find_if(kSpecial.begin(), kSpecial.end(), [&](const SpecialOption& s) {
    return !s.longName.empty() && s.longName == name;
  });
  return special != kSpecial.end() ? Opt{special, nullptr} : Opt{nullptr, findByLongName(name)};
}

Opt findShort(char name) {
  const auto* special = std::find_if(kSpecial.begin(), kSpecial.end(),
                                     [&](const SpecialOption& s) { return s.shortName == name; });
  return special != kSpecial.end() ? Opt{special, nullptr} : Opt{nullptr, findByShortName(name)};
}

/// Stores one option with its value into the result.
class Applier {
 public:
  explicit Applier(CliResult& out) : out_(out) {}

  /// `value` is nullopt for an option given without one (a flag, or --workload-cgroupns).
  Status apply(const Opt& opt, const std::optional<std::string>& value) {
    if (opt.setting != nullptr) {
      // A flag or a Bool without "=VALUE" is switched on.
      return opt.setting->set(value ? *value : "true", out_.layer);
    }
    switch (opt.special->id) {
      case Special::Help:
        setAction(Action::Help);
        return {};
      case Special::Version:
        setAction(Action::Version);
        return {};
      case Special::License:
        setAction(Action::License);
        return {};
      case Special::PrintConfig:
        setAction(Action::PrintConfig);
        return {};
      case Special::Verbose:
        ++verbose_;
        out_.layer.verbosity = verbosityFromCount(verbose_);
        return {};
      case Special::KillGroup:
        out_.layer.forward = ForwardTarget::Group;
        return {};
      case Special::Config:
        if (!value || value->empty()) {
          return usageError("empty file name");
        }
        out_.configPath = *value;
        return {};
    }
    return {};
  }

 private:
  void setAction(Action action) {
    // Help wins over everything, then version and license, then print-config (tini's order).
    if (out_.action == Action::Run || static_cast<int>(action) < static_cast<int>(out_.action)) {
      out_.action = action;
    }
  }

  CliResult& out_;
  int verbose_ = 0;
};

std::string optionLabel(const Opt& opt) {
  const char shortName = opt.shortName();
  const std::string_view longName = opt.longName();
  if (shortName != 0 && !longName.empty()) {
    return fmt::format("-{}/--{}", shortName, longName);
  }
  return shortName != 0 ? fmt::format("-{}", shortName) : fmt::format("--{}", longName);
}

Status applyWithLabel(Applier& applier, const Opt& opt, const std::optional<std::string>& value) {
  auto st = applier.apply(opt, value);
  if (!st) {
    return std::move(st).error().context("option " + optionLabel(opt));
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
      const Opt opt = findLong(name);
      if (!opt) {
        return usageError(
            fmt::format("unknown option {} (see --help)", quoted("--" + std::string(name))));
      }
      std::optional<std::string> value;
      if (eq != std::string::npos) {
        if (!opt.takesValue()) {
          return usageError(fmt::format("option --{} takes no value", name));
        }
        value = word.substr(eq + 1);
      } else if (opt.needsValue()) {
        if (i + 1 >= argv.size()) {
          return usageError(fmt::format("option --{} needs a value", name));
        }
        value = argv[++i];
      }
      if (auto st = applyWithLabel(applier, opt, value); !st) {
        return std::move(st).error();
      }
      continue;
    }
    // A cluster of short options: -vvv, -sg, -p SIGKILL, -pSIGKILL, -e143.
    for (size_t j = 1; j < word.size(); ++j) {
      const char c = word[j];
      const Opt opt = findShort(c);
      if (!opt) {
        return usageError(
            fmt::format("unknown option {} (see --help)", quoted(std::string{'-', c})));
      }
      std::optional<std::string> value;
      if (opt.needsValue()) {
        if (j + 1 < word.size()) {
          value = word.substr(j + 1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          return usageError(fmt::format("option -{} needs a value", c));
        }
        j = word.size();
      }
      if (auto st = applyWithLabel(applier, opt, value); !st) {
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
  --limit FILE=VALUE         write a controller file or cgroup.max.descendants/depth of the
                             workload cgroup (repeatable)
  --forward child|group|cgroup  where forwarded signals go (default child)
  --rewrite FROM:TO          deliver signal TO when FROM is received (repeatable)
  --grace DURATION           time for the stop signal before killing at shutdown (default 5s)
  --stop-signal SIGNAL       the polite signal sent at shutdown (default SIGTERM)
  --stop-timeout DURATION    kill the workload this long after a stop request (default none)
  --workload-cgroupns[=BOOL] start the program in a cgroup namespace rooted at workload/
                             (default true)
  --report FILE              write a JSON exit report to FILE (- for stderr)
  --print-config             print the effective configuration as TOML and exit

Environment (below the command line, above the file): CGINIT_CONFIG, CGINIT_VERBOSITY,
CGINIT_SUBREAPER, CGINIT_PDEATHSIG, CGINIT_FORWARD, CGINIT_REMAP_EXIT, CGINIT_WARN_ON_REAP,
CGINIT_REWRITE, CGINIT_GRACE, CGINIT_STOP_SIGNAL, CGINIT_STOP_TIMEOUT, CGINIT_CGROUP,
CGINIT_PIDS_MAX, CGINIT_WORKLOAD_CGROUPNS, CGINIT_REPORT (values as for the options; lists
comma-separated; BOOL is true/false/1/0/yes/no); tini's TINI_SUBREAPER, TINI_KILL_PROCESS_GROUP,
TINI_VERBOSITY. Other CGINIT_* variables are ignored with a warning.
Exit status: the program's; 128+N if signal N killed it; 126/127 if it could not be run;
2 for usage and configuration errors; 1 if cginit itself failed.
)",
      kVersion, argv0);
}

}  // namespace cginit
