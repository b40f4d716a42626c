// SPDX-License-Identifier: MIT
// What the workload backends share (private): a watched event counter, and the process backend
// that the observer builds on.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "cginit/cgroup.h"
#include "cginit/signal_list.h"
#include "cginit/unique_fd.h"
#include "cginit/workload.h"

namespace cginit::backend {

/// At most one warning a second for a counter that keeps rising (forks refused, OOM kills).
class RateLimit {
 public:
  bool allow();

 private:
  std::chrono::steady_clock::time_point last_{};
};

/// One counter of a cgroup *.events file (pids.events "max", memory.events "oom_kill"), open
/// for EPOLLPRI. A rise is for the caller to warn of, at most once a second (allowWarning()).
class EventCounter {
 public:
  EventCounter() = default;
  /// Opens `file` of `cg` and reads `key` now (later rises are news); an empty counter when the
  /// file is not there (no such controller: nothing to watch, silently) or cannot be opened
  /// (logged).
  EventCounter(const Cgroup& cg, const std::string& file, std::string key);

  explicit operator bool() const { return static_cast<bool>(fd_); }
  int fd() const { return fd_.get(); }
  /// Reads the counter through the watched fd (which re-arms it): the new value when it rose,
  /// nullopt when it did not. An Error when the file cannot be read (logged once).
  Result<std::optional<uint64_t>> rose();
  /// The counter now (for the report), nullopt when it cannot be read (logged once).
  std::optional<uint64_t> value();
  /// At most once a second.
  bool allowWarning() { return rate_.allow(); }

 private:
  Result<uint64_t> read();

  UniqueFd fd_;
  std::string path_;
  std::string key_;
  uint64_t last_ = 0;
  bool failedWarned_ = false;
  RateLimit rate_;
};

/// The plain-process backend: no cgroup; the program's process group, cginit's children
/// (/proc/thread-self/children) and, as PID 1, kill(-1).
class ProcessWorkload : public Workload {
 public:
  ProcessWorkload(bool pid1, pid_t program);

  void forwardToAll(int signo) override;
  size_t signalLeftovers(int signo) override;
  void killAll() override;
  Readiness readiness() const override { return {}; }
  Liveness refresh() override;
  bool blind() const override { return blind_; }
  void reaped(pid_t pid, int status) override;
  void fillReport(ExitReport& report) override;
  void teardown() override {}

  /// The signal of the drain step under way (nullopt while the program runs).
  std::optional<int> phase() const { return phase_; }
  bool pid1() const { return pid1_; }
  pid_t program() const { return program_; }
  /// Whether `pid` got the signal of the drain step with the program's process group or, as
  /// PID 1, with kill(-1) at the start of that step.
  bool reachedByGroup(pid_t pid) const;
  /// The processes that had the signal of the drain step (children here, and the observer's
  /// members, so that each process gets it once).
  SignalByList& signalled() { return signalled_; }

 private:
  /// `signo` to each child of cginit not signalled yet (re-parented orphans); a polite signal
  /// (plus SIGCONT) once per child and not to the program's process group. Returns how many
  /// were signalled.
  size_t signalChildren(int signo);

  bool pid1_;
  pid_t program_;
  SignalByList signalled_;
  bool programReaped_ = false;
  std::optional<int> phase_;
  bool killing_ = false;
  bool blind_ = false;
  bool groupFallbackWarned_ = false;
  bool childrenWarned_ = false;
  uint64_t killed_ = 0;
};

}  // namespace cginit::backend
