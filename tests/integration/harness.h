// SPDX-License-Identifier: MIT
// Integration-test harness: runs cginit in fresh namespaces inside an always-removed test cgroup.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace cginit::it {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// How a process ended: an exit code, or the signal that killed it.
struct ExitStatus {
  bool signaled = false;
  int value = 0;  // exit code, or signal number when signaled

  static ExitStatus exited(int code) { return {false, code}; }
  static ExitStatus killedBy(int sig) { return {true, sig}; }
  static ExitStatus fromWaitStatus(int status);
  bool operator==(const ExitStatus&) const = default;
};
void PrintTo(const ExitStatus& status, std::ostream* os);

/// Where cginit runs.
enum class Mode {
  /// PID 1 of a fresh PID + mount namespace (a private /proc); the test process is its parent.
  Pid1,
  /// Not PID 1: the second process of a fresh PID + mount namespace whose PID 1 is a minimal
  /// reaper of the harness. The namespace is a safety net: a drain bug such as kill(-1, ...) can
  /// then never reach the machine's processes.
  Plain,
};

/// What to run. The harness gives cginit a minimal environment (PATH plus `env`), stdin on
/// /dev/null (or a pty), stdout and stderr in files, default signal dispositions, an empty signal
/// mask, a session of its own and no fds beyond 0, 1 and 2.
struct RunSpec {
  RunSpec(Mode m, std::vector<std::string> a) : mode(m), args(std::move(a)) {}

  RunSpec withEnv(std::vector<std::string> e) const {
    RunSpec s = *this;
    s.env = std::move(e);
    return s;
  }
  RunSpec withPty(bool on = true) const {
    RunSpec s = *this;
    s.pty = on;
    return s;
  }
  RunSpec withCgroupNamespace(bool on = true) const {
    RunSpec s = *this;
    s.cgroupNamespace = on;
    return s;
  }
  /// `starter` runs in cginit's place with cginit's command line appended (cginit's path first):
  /// a process that sets something up and then execs cginit (`payload ... exec`), so that cginit
  /// starts with what a real starter (nohup, a shell, a runtime) hands down.
  RunSpec withStarter(std::vector<std::string> starterArgv) const {
    RunSpec s = *this;
    s.starter = std::move(starterArgv);
    return s;
  }
  /// A cgroup namespace (as withCgroupNamespace()) whose cgroup2 mount is read-only, as in a
  /// default Docker or Podman container.
  RunSpec withReadOnlyCgroup() const {
    RunSpec s = *this;
    s.cgroupNamespace = true;
    s.readOnlyCgroup = true;
    return s;
  }

  /// cginit starts with RLIMIT_NOFILE `soft`:`hard` (set right before its exec).
  RunSpec withNofile(long soft, long hard) const {
    RunSpec s = *this;
    s.nofile = std::make_pair(soft, hard);
    return s;
  }

  Mode mode;
  std::vector<std::string> args;  // cginit's argv after argv[0]: options, then the program
  std::vector<std::string> env;   // NAME=VALUE
  /// Runs first and execs cginit (withStarter()); empty: cginit is exec'd directly.
  std::vector<std::string> starter;
  /// stdin is the slave of a new pty, which becomes the controlling terminal of cginit's session.
  bool pty = false;
  /// Also a new cgroup namespace rooted at the test cgroup, with cgroup2 mounted on /sys/fs/cgroup
  /// (what a container with a delegated cgroup sees: `0::/`).
  bool cgroupNamespace = false;
  /// With cgroupNamespace: cgroup2 is mounted read-only (a read-only bind remount, which changes
  /// only this mount, never the hierarchy's superblock).
  bool readOnlyCgroup = false;
  std::optional<std::pair<long, long>> nofile;
};

/// Why this machine cannot run the integration tests (not root, no cgroup2, no binaries), or "".
std::string skipReason();
/// The cgroup2 directory under which test cgroups are made: $CGINIT_IT_CGROUP_ROOT, else
/// /sys/fs/cgroup/unified or /sys/fs/cgroup, whichever is cgroup2.
std::string cgroupRoot();
/// $CGINIT_BIN and $CGINIT_PAYLOAD, set by meson.
const std::string& cginitBin();
const std::string& payloadBin();
/// {payloadBin(), args...}, to append to cginit's options.
std::vector<std::string> payload(std::initializer_list<std::string> args);
/// `options` followed by `program`.
std::vector<std::string> concat(std::vector<std::string> options,
                                const std::vector<std::string>& program);

/// A whole decimal number, or nullopt.
std::optional<long> toNumber(std::string_view text);
/// The value of "Key:\t..." in /proc/PID/status (e.g. "NSpid"), or nullopt.
std::optional<std::string> statusField(pid_t pid, std::string_view key);

/// Polls `pred` every `step` until it is true or `timeout` passes; returns its last value.
template <typename Pred>
bool waitUntil(Pred pred, Clock::duration timeout, milliseconds step = 5ms) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(step);
  }
}

/// The whole file, or nullopt when it cannot be read.
std::optional<std::string> readFile(const std::string& path);
/// The file's text split at '\n' (no empty last element).
std::vector<std::string> fileLines(const std::string& path);
bool fileExists(const std::string& path);
/// Waits until `path` exists and contains `needle`.
bool waitForFileContaining(const std::string& path, std::string_view needle,
                           Clock::duration timeout);
/// Waits until `path` exists.
bool waitForFile(const std::string& path, Clock::duration timeout);

/// The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or nullopt when PID is gone.
std::optional<char> processState(pid_t pid);
/// True while PID exists and is not a zombie.
bool isAlive(pid_t pid);
/// One child of a process, as /proc shows it.
struct ChildInfo {
  pid_t pid;
  char state;
};
/// Every process whose parent is PID (a scan of /proc; zombies included).
std::vector<ChildInfo> childrenOf(pid_t pid);
/// voluntary_ctxt_switches + nonvoluntary_ctxt_switches of PID.
std::optional<long> contextSwitches(pid_t pid);
/// "SIGHUP", "SIGRTMIN+1": the names payload record-signals writes.
std::string recordName(int sig);

/// The pids in DIR/cgroup.procs: that cgroup only, not the cgroups below it.
std::vector<pid_t> procsIn(const std::string& dir);
/// The names of the cgroups directly below DIR, sorted.
std::vector<std::string> subCgroups(const std::string& dir);
/// The "0::" line of /proc/PID/cgroup (as the test's cgroup namespace shows it), or "".
std::string cgroupLineOf(pid_t pid);

/// Watches any process (not only a child of the test) through a pidfd, to learn when it exited.
class ExitWatch {
 public:
  explicit ExitWatch(pid_t pid);
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

  /// False when pidfd_open failed (the process was already gone).
  bool valid() const { return fd_ >= 0; }
  /// Waits up to `timeout` for the process to exit; returns when the test saw it (an upper bound
  /// of the exit time), or nullopt.
  std::optional<Clock::time_point> wait(Clock::duration timeout);

 private:
  int fd_ = -1;
  std::optional<Clock::time_point> exitedAt_;
};

/// A process started the way `docker exec` starts one: inside the PID namespace of `init` (a
/// host pid, cginit as PID 1) but as the child of a helper outside it, so that the namespace sees
/// its parent as 0. It runs `argv` (a host path) in the test's own cgroup; put it where the engine
/// would with a write to cgroup.procs. The destructor SIGKILLs it and reaps the helper.
class ExecSession {
 public:
  ExecSession(pid_t init, const std::vector<std::string>& argv);
  ~ExecSession();
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;

  /// Its host pid, or -1 when it could not be started.
  pid_t pid() const { return pid_; }

 private:
  pid_t helper_ = -1;
  pid_t pid_ = -1;
};

/// A temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A cgroup made for one test under cgroupRoot(); destroy() (also run by the destructor) kills
/// whatever is in it with cgroup.kill, waits (bounded) for `populated 0` and removes it and every
/// cgroup below it.
class TestCgroup {
 public:
  TestCgroup();
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;

  bool valid() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  /// Every pid in this cgroup and the cgroups below it.
  std::vector<pid_t> procs() const;
  /// Writes cgroup.kill (SIGKILL to every process of the subtree).
  void kill() const;
  /// Waits until `populated 0` or `timeout` passes.
  bool waitEmpty(Clock::duration timeout) const;
  /// kill(), waitEmpty(), rmdir of the subtree; reports a failure when something stays.
  void destroy();

 private:
  std::string path_;
  int fd_ = -1;
};

/// One cginit run in its own temp directory and test cgroup. Destroying it (also when a test
/// assertion fails) kills everything in the cgroup, reaps cginit and removes the cgroup.
class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  /// A path in the sandbox's temp directory, for files the payload writes.
  std::string file(std::string_view name) const;
  /// Starts cginit; fails (with a message) when the harness could not.
  ::testing::AssertionResult start(const RunSpec& spec);

  /// Host pid of cginit; -1 when it exited before the harness could look it up (Plain mode).
  pid_t pid() const { return cginitPid_; }
  /// The host pid of the process that cginit's PID namespace knows as `nsPid`, searched in the
  /// test cgroup; nullopt when there is none.
  std::optional<pid_t> hostPid(pid_t nsPid) const;
  /// The host pid of the process whose (namespace) pid the payload wrote to `file` with pidfile
  /// or daemon; waits up to `timeout` for the file.
  std::optional<pid_t> hostPidFromFile(const std::string& file, Clock::duration timeout = 5s) const;
  /// Sends `sig` to cginit.
  bool signal(int sig) const;
  /// Waits for cginit to exit; nullopt when it is still running after `timeout`.
  std::optional<ExitStatus> wait(Clock::duration timeout);
  /// Whether cginit has exited (without waiting).
  bool exited();
  std::string stdoutText() const;
  std::string stderrText() const;
  /// stderr split into lines.
  std::vector<std::string> stderrLines() const;
  TestCgroup& cgroup() { return cgroup_; }
  /// The pty master (RunSpec::pty), or -1.
  int ptyMaster() const { return ptyMaster_; }

 private:
  std::optional<ExitStatus> waitPid1(Clock::duration timeout);
  std::optional<ExitStatus> waitPlain(Clock::duration timeout);
  void reapTopChild(Clock::duration timeout);

  TempDir dir_;
  TestCgroup cgroup_;
  Mode mode_ = Mode::Pid1;
  pid_t topPid_ = -1;  // the child of the test process: cginit (Pid1) or the mini reaper (Plain)
  int topPidfd_ = -1;
  bool topReaped_ = false;
  pid_t cginitPid_ = -1;
  int statusFd_ = -1;  // Plain: cginit's wait status, written by the mini reaper
  int ptyMaster_ = -1;
  std::optional<ExitStatus> status_;
};

/// Writes `pid` into DIR/cgroup.procs, as a container engine, `docker exec` or the workload
/// itself would.
bool moveInto(const std::string& dir, pid_t pid);
/// The test cgroup's path as the hierarchy (and /proc/PID/cgroup outside the namespace) names it.
std::string hierarchyPath(Sandbox& sb);

/// Fixture base: skips the test when skipReason() says so.
class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

}  // namespace cginit::it
