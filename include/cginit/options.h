// SPDX-License-Identifier: MIT
// The merged settings of cginit and the per-source layers they are merged from; pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cginit/cgroup_paths.h"
#include "cginit/log.h"
#include "cginit/result.h"

namespace cginit {

/// Where forwarded signals go.
enum class ForwardTarget { Child, Group, Cgroup };
/// Whether cginit manages a cgroup subtree.
enum class CgroupMode { Auto, Required, Off };

/// `pids.max`: a number or "max".
struct PidsMax {
  bool unlimited = false;
  uint64_t value = 0;
  std::string str() const { return unlimited ? "max" : std::to_string(value); }
  bool operator==(const PidsMax&) const = default;
};

/// One `--limit FILE=VALUE`: a cgroup v2 interface file of the workload cgroup.
struct Limit {
  std::string file;
  std::string value;
  bool operator==(const Limit&) const = default;
};

/// The effective configuration after merging defaults < file < environment < command line.
struct Options {
  Verbosity verbosity = Verbosity::Warn;
  bool subreaper = false;
  std::optional<int> pdeathsig;
  ForwardTarget forward = ForwardTarget::Child;
  std::vector<int> remapExit;  // exit codes that become 0, sorted, unique
  bool warnOnReap = false;
  std::map<int, int> rewrite;  // received signal -> delivered signal
  std::chrono::milliseconds grace{5000};
  int stopSignal = 15;  // SIGTERM
  std::optional<std::chrono::milliseconds> stopTimeout;
  CgroupMode cgroupMode = CgroupMode::Auto;
  std::optional<PidsMax> pidsMax;         // not written when empty
  std::vector<Limit> limits;              // in the order given, one per file
  bool workloadCgroupns = true;           // the program in a cgroup namespace rooted at workload/
  std::optional<std::string> reportPath;  // "-" is stderr

  bool operator==(const Options&) const = default;
};

/// The settings one source (file, environment or command line) gives; empty means "not set".
/// Maps (rewrite, limits) merge key by key, a higher layer winning per key; remapExit replaces.
struct OptionsLayer {
  std::optional<Verbosity> verbosity;
  std::optional<bool> subreaper;
  std::optional<int> pdeathsig;
  std::optional<ForwardTarget> forward;
  std::optional<std::vector<int>> remapExit;
  std::optional<bool> warnOnReap;
  std::optional<std::map<int, int>> rewrite;
  std::optional<std::chrono::milliseconds> grace;
  std::optional<int> stopSignal;
  std::optional<std::chrono::milliseconds> stopTimeout;
  std::optional<CgroupMode> cgroupMode;
  std::optional<PidsMax> pidsMax;
  std::optional<std::vector<Limit>> limits;
  std::optional<bool> workloadCgroupns;
  std::optional<std::string> reportPath;
};

/// Applies the layers in order (later ones win) onto the defaults; option_table.cpp has it,
/// row by row.
Options merge(const std::vector<const OptionsLayer*>& layers);

// Value parsers shared by the command line, the environment and the config file. Each returns an
// Error whose message describes the value; the caller adds which option or key it came from.
Result<ForwardTarget> parseForward(std::string_view text);
Result<CgroupMode> parseCgroupMode(std::string_view text);
Result<PidsMax> parsePidsMax(std::string_view text);
/// An exit code 0..255.
Result<int> parseExitCode(std::string_view text);
/// "FROM:TO" (names or numbers); FROM may not be SIGKILL/SIGSTOP/SIGCHLD, which cannot be caught
/// or are never forwarded.
Result<std::pair<int, int>> parseRewrite(std::string_view text);
/// "FILE=VALUE" as checkLimit() (cgroup_paths.h) allows it.
Result<Limit> parseLimit(std::string_view text);
/// A signal that can be forwarded/sent at shutdown (not 0).
Result<int> parseStopSignal(std::string_view text);
std::string_view forwardName(ForwardTarget target);
std::string_view cgroupModeName(CgroupMode mode);

}  // namespace cginit
