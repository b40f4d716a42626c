// SPDX-License-Identifier: MIT
// Integration-test harness: clone3 into a test cgroup and fresh namespaces, then exec cginit.
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <sstream>

#include <linux/sched.h>

namespace cginit::it {
namespace {

void closeFd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

// --- the cloned child ---------------------------------------------------------------------------

/// Where the child failed, reported through a close-on-exec pipe.
enum class Stage : int {
  MountPrivate = 1,
  MountProc,
  Unshare,
  MountCgroup,
  RemountCgroupReadOnly,
  Setsid,
  Stdio,
  Ctty,
  Fork,
  Rlimit,
  Exec
};

struct ChildError {
  Stage stage;
  int err;
};

const char* stageName(Stage stage) {
  switch (stage) {
    case Stage::MountPrivate:
      return "mount / MS_PRIVATE";
    case Stage::MountProc:
      return "mount /proc";
    case Stage::Unshare:
      return "unshare CLONE_NEWCGROUP";
    case Stage::MountCgroup:
      return "mount cgroup2 /sys/fs/cgroup";
    case Stage::RemountCgroupReadOnly:
      return "remount /sys/fs/cgroup read-only";
    case Stage::Setsid:
      return "setsid";
    case Stage::Stdio:
      return "dup2";
    case Stage::Ctty:
      return "ioctl TIOCSCTTY";
    case Stage::Fork:
      return "clone";
    case Stage::Rlimit:
      return "setrlimit RLIMIT_NOFILE";
    case Stage::Exec:
      return "execve";
  }
  return "?";
}

/// Everything the child needs, prepared before clone3: after it, only system calls are made.
struct ChildPlan {
  Mode mode;
  bool cgroupNamespace;
  bool readOnlyCgroup;
  bool pty;
  int stdinFd;
  int stdoutFd;
  int stderrFd;
  int errPipe;        // write end, close-on-exec
  int statusPipe;     // write end (Plain), close-on-exec
  rlim_t nofileSoft;  // RLIMIT_NOFILE for cginit; 0: as the test has it
  rlim_t nofileHard;
  const char* path;
  char* const* argv;
  char* const* envp;
};

[[noreturn]] void childFail(const ChildPlan& plan, Stage stage) {
  const ChildError e{stage, errno};
  (void)!write(plan.errPipe, &e, sizeof e);
  _exit(125);
}

void mountCgroup2(const ChildPlan& plan) {
  constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  // A pure-v2 host has the same superblock there already, which cannot be stacked: detach it
  // (in this private mount namespace only) and mount again.
  if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", kFlags, nullptr) != 0 &&
      (errno != EBUSY || umount2("/sys/fs/cgroup", MNT_DETACH) != 0 ||
       mount("cgroup2", "/sys/fs/cgroup", "cgroup2", kFlags, nullptr) != 0)) {
    childFail(plan, Stage::MountCgroup);
  }
  // Read-only per mount (MS_BIND): a read-only superblock would be the whole hierarchy's.
  if (plan.readOnlyCgroup && mount(nullptr, "/sys/fs/cgroup", nullptr,
                                   MS_REMOUNT | MS_BIND | MS_RDONLY | kFlags, nullptr) != 0) {
    childFail(plan, Stage::RemountCgroupReadOnly);
  }
}

void resetSignals() {
  // Handlers are reset by execve anyway; only ignored signals and the mask survive it.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      sigaction(sig, &dfl, nullptr);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void execCginit(const ChildPlan& plan) {
  if (plan.nofileSoft > 0) {
    const rlimit lim{plan.nofileSoft, plan.nofileHard};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      childFail(plan, Stage::Rlimit);
    }
  }
  execve(plan.path, plan.argv, plan.envp);
  childFail(plan, Stage::Exec);
}

[[noreturn]] void childMain(const ChildPlan& plan) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    childFail(plan, Stage::MountPrivate);
  }
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    childFail(plan, Stage::MountProc);
  }
  if (plan.cgroupNamespace) {
    // Unshared here rather than with clone3, so that the namespace is rooted at the test cgroup
    // that CLONE_INTO_CGROUP put us in (clone3 would root it at the parent's cgroup).
    if (unshare(CLONE_NEWCGROUP) != 0) {
      childFail(plan, Stage::Unshare);
    }
    mountCgroup2(plan);
  }
  if (setsid() < 0) {
    childFail(plan, Stage::Setsid);
  }
  if (dup2(plan.stdinFd, STDIN_FILENO) < 0 || dup2(plan.stdoutFd, STDOUT_FILENO) < 0 ||
      dup2(plan.stderrFd, STDERR_FILENO) < 0) {
    childFail(plan, Stage::Stdio);
  }
  if (plan.pty && ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0) {
    childFail(plan, Stage::Ctty);
  }
  // Whatever the test process has open must not reach cginit (the fd-leak test relies on it).
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  resetSignals();
  if (plan.mode == Mode::Pid1) {
    execCginit(plan);
  }
  // Plain: stay PID 1 of the namespace as a minimal reaper, run cginit as its first child and
  // pass cginit's wait status on to the harness.
  const long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    childFail(plan, Stage::Fork);
  }
  if (pid == 0) {
    execCginit(plan);
  }
  close(plan.errPipe);
  for (;;) {
    int status = 0;
    const pid_t reaped = waitpid(-1, &status, 0);
    if (reaped < 0 && errno == EINTR) {
      continue;
    }
    if (reaped < 0) {
      _exit(0);  // ECHILD: nothing is left in the namespace
    }
    if (reaped == pid) {
      (void)!write(plan.statusPipe, &status, sizeof status);
      close(plan.statusPipe);
    }
  }
}

/// clone3 with a pidfd, into the test cgroup, in new PID and mount namespaces.
long cloneIntoCgroup(int cgroupFd, int& pidfd) {
  clone_args ca{};
  ca.flags = static_cast<__u64>(CLONE_NEWPID | CLONE_NEWNS | CLONE_PIDFD) | CLONE_INTO_CGROUP;
  ca.pidfd = static_cast<__u64>(reinterpret_cast<uintptr_t>(&pidfd));
  ca.exit_signal = static_cast<__u64>(SIGCHLD);
  ca.cgroup = static_cast<__u64>(static_cast<unsigned>(cgroupFd));
  return syscall(SYS_clone3, &ca, sizeof ca);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

bool pollIn(int fd, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(left.count(), 0)));
    if (r > 0) {
      return true;
    }
    if (r == 0 || errno != EINTR) {
      return false;
    }
  }
}

}  // namespace

// --- Sandbox
// ---------------------------------------------------------------------------------------

Sandbox::Sandbox() = default;

Sandbox::~Sandbox() {
  // The cleanup guarantee: whatever happened in the test, nothing it started survives it.
  cgroup_.kill();
  reapTopChild(10s);
  cgroup_.destroy();
  closeFd(topPidfd_);
  closeFd(statusFd_);
  closeFd(ptyMaster_);
}

std::string Sandbox::file(std::string_view name) const {
  return dir_.path() + "/" + std::string(name);
}

::testing::AssertionResult Sandbox::start(const RunSpec& spec) {
  if (topPid_ > 0) {
    return ::testing::AssertionFailure() << "a Sandbox runs cginit once";
  }
  if (!cgroup_.valid() || dir_.path().empty()) {
    return ::testing::AssertionFailure() << "no test cgroup or temp dir";
  }
  mode_ = spec.mode;
  std::vector<std::string> argv{cginitBin()};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> envp{
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  envp.insert(envp.end(), spec.env.begin(), spec.env.end());
  auto argvPtrs = pointers(argv);
  auto envpPtrs = pointers(envp);

  int stdinFd = -1;
  if (spec.pty) {
    ptyMaster_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    std::array<char, 64> name{};
    if (ptyMaster_ < 0 || grantpt(ptyMaster_) != 0 || unlockpt(ptyMaster_) != 0 ||
        ptsname_r(ptyMaster_, name.data(), name.size()) != 0) {
      return ::testing::AssertionFailure() << "pty: " << strerror(errno);
    }
    stdinFd = open(name.data(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  } else {
    stdinFd = open("/dev/null", O_RDWR | O_CLOEXEC);
  }
  const int stdoutFd =
      open(file("stdout").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int stderrFd =
      open(file("stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int errPipe[2] = {-1, -1};
  int statusPipe[2] = {-1, -1};
  if (stdinFd < 0 || stdoutFd < 0 || stderrFd < 0 || pipe2(errPipe, O_CLOEXEC) != 0 ||
      pipe2(statusPipe, O_CLOEXEC) != 0) {
    return ::testing::AssertionFailure() << "harness setup: " << strerror(errno);
  }
  const ChildPlan plan{spec.mode,
                       spec.cgroupNamespace,
                       spec.cgroupNamespace && spec.readOnlyCgroup,
                       spec.pty,
                       stdinFd,
                       stdoutFd,
                       stderrFd,
                       errPipe[1],
                       statusPipe[1],
                       static_cast<rlim_t>(spec.nofile ? spec.nofile->first : 0),
                       static_cast<rlim_t>(spec.nofile ? spec.nofile->second : 0),
                       argv[0].c_str(),
                       argvPtrs.data(),
                       envpPtrs.data()};
  const long pid = cloneIntoCgroup(cgroup_.fd(), topPidfd_);
  if (pid == 0) {
    childMain(plan);
  }
  const int cloneErrno = errno;
  for (int fd : {stdinFd, stdoutFd, stderrFd, errPipe[1], statusPipe[1]}) {
    close(fd);
  }
  statusFd_ = statusPipe[0];
  if (pid < 0) {
    close(errPipe[0]);
    return ::testing::AssertionFailure()
           << "clone3 CLONE_NEWPID|CLONE_NEWNS|CLONE_INTO_CGROUP: " << strerror(cloneErrno);
  }
  topPid_ = static_cast<pid_t>(pid);

  // EOF on the error pipe: cginit has been exec'd (every write end is close-on-exec).
  ChildError error{};
  ssize_t n = -1;
  if (pollIn(errPipe[0], 10s)) {
    while ((n = read(errPipe[0], &error, sizeof error)) < 0 && errno == EINTR) {
    }
  }
  close(errPipe[0]);
  if (n != 0) {
    cgroup_.kill();
    reapTopChild(10s);
    if (n < 0) {
      return ::testing::AssertionFailure() << "harness child did not exec cginit within 10 s";
    }
    return ::testing::AssertionFailure()
           << "harness child: " << stageName(error.stage) << ": " << strerror(error.err);
  }
  if (spec.mode == Mode::Pid1) {
    cginitPid_ = topPid_;
    return ::testing::AssertionSuccess();
  }
  // Plain: cginit is PID 2 of the namespace; it may already have exited again.
  waitUntil(
      [&] {
        if (auto found = hostPid(2)) {
          cginitPid_ = *found;
          return true;
        }
        pollfd p{statusFd_, POLLIN, 0};
        return poll(&p, 1, 0) > 0;
      },
      5s);
  return ::testing::AssertionSuccess();
}

std::optional<pid_t> Sandbox::hostPid(pid_t nsPid) const {
  for (pid_t pid : cgroup_.procs()) {
    auto nspid = statusField(pid, "NSpid");
    if (!nspid) {
      continue;
    }
    std::istringstream in(*nspid);
    std::vector<long> ids;
    for (long id = 0; in >> id;) {
      ids.push_back(id);
    }
    if (ids.size() >= 2 && ids.back() == nsPid) {
      return pid;
    }
  }
  return std::nullopt;
}

std::optional<pid_t> Sandbox::hostPidFromFile(const std::string& path,
                                              Clock::duration timeout) const {
  if (!waitForFile(path, timeout)) {
    return std::nullopt;
  }
  auto text = readFile(path);
  while (text && !text->empty() && text->back() == '\n') {
    text->pop_back();
  }
  auto nsPid = text ? toNumber(*text) : std::nullopt;
  if (!nsPid) {
    return std::nullopt;
  }
  return hostPid(static_cast<pid_t>(*nsPid));
}

bool Sandbox::signal(int sig) const {
  return cginitPid_ > 0 && ::kill(cginitPid_, sig) == 0;
}

std::optional<ExitStatus> Sandbox::wait(Clock::duration timeout) {
  if (!status_ && topPid_ > 0) {
    status_ = mode_ == Mode::Pid1 ? waitPid1(timeout) : waitPlain(timeout);
  }
  return status_;
}

bool Sandbox::exited() {
  return wait(0ms).has_value();
}

std::optional<ExitStatus> Sandbox::waitPid1(Clock::duration timeout) {
  if (topReaped_ || !pollIn(topPidfd_, timeout)) {
    return std::nullopt;
  }
  int status = 0;
  if (waitpid(topPid_, &status, 0) != topPid_) {
    return std::nullopt;
  }
  topReaped_ = true;
  return ExitStatus::fromWaitStatus(status);
}

std::optional<ExitStatus> Sandbox::waitPlain(Clock::duration timeout) {
  if (statusFd_ < 0 || !pollIn(statusFd_, timeout)) {
    return std::nullopt;
  }
  int status = 0;
  ssize_t n = 0;
  while ((n = read(statusFd_, &status, sizeof status)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof status)) {
    closeFd(statusFd_);  // the reaper died without reporting (killed)
    return std::nullopt;
  }
  return ExitStatus::fromWaitStatus(status);
}

void Sandbox::reapTopChild(Clock::duration timeout) {
  if (topPid_ <= 0 || topReaped_) {
    return;
  }
  if (!pollIn(topPidfd_, timeout)) {
    ADD_FAILURE() << "harness child " << topPid_ << " did not exit after cgroup.kill";
    return;
  }
  int status = 0;
  if (waitpid(topPid_, &status, 0) == topPid_) {
    topReaped_ = true;
    if (mode_ == Mode::Pid1 && !status_) {
      status_ = ExitStatus::fromWaitStatus(status);
    }
  }
}

std::string Sandbox::stdoutText() const {
  return readFile(file("stdout")).value_or("");
}
std::string Sandbox::stderrText() const {
  return readFile(file("stderr")).value_or("");
}
std::vector<std::string> Sandbox::stderrLines() const {
  return fileLines(file("stderr"));
}

void IntegrationTest::SetUp() {
  if (auto reason = skipReason(); !reason.empty()) {
    GTEST_SKIP() << reason;
  }
}

}  // namespace cginit::it
