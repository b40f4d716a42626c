// SPDX-License-Identifier: MIT
// Harness support: files, /proc, temp directories and test cgroups.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <sstream>

#include <linux/magic.h>

#include "harness.h"

namespace cginit::it {
namespace {

std::string envOr(const char* name, const char* fallback = "") {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

bool isCgroup2(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::atomic<int> gCgroupCounter{0};

}  // namespace

std::optional<long> toNumber(std::string_view text) {
  long value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> statusField(pid_t pid, std::string_view key) {
  auto text = readFile("/proc/" + std::to_string(pid) + "/status");
  if (!text) {
    return std::nullopt;
  }
  for (const auto& line : splitLines(*text)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      return line.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

// --- free helpers
// ---------------------------------------------------------------------------------

ExitStatus ExitStatus::fromWaitStatus(int status) {
  if (WIFSIGNALED(status)) {
    return killedBy(WTERMSIG(status));
  }
  return exited(WEXITSTATUS(status));
}

void PrintTo(const ExitStatus& status, std::ostream* os) {
  if (status.signaled) {
    *os << "killed by signal " << status.value << " (" << recordName(status.value) << ")";
  } else {
    *os << "exit code " << status.value;
  }
}

std::string cgroupRoot() {
  if (auto env = envOr("CGINIT_IT_CGROUP_ROOT"); !env.empty()) {
    return isCgroup2(env) ? env : "";
  }
  for (const char* candidate : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (isCgroup2(candidate)) {
      return candidate;
    }
  }
  return "";
}

const std::string& cginitBin() {
  static const std::string path = envOr("CGINIT_BIN");
  return path;
}

const std::string& payloadBin() {
  static const std::string path = envOr("CGINIT_PAYLOAD");
  return path;
}

std::string skipReason() {
  if (geteuid() != 0) {
    return "needs root (PID/mount namespaces and a test cgroup)";
  }
  if (cginitBin().empty() || payloadBin().empty()) {
    return "CGINIT_BIN and CGINIT_PAYLOAD are not set (run through meson test)";
  }
  if (cgroupRoot().empty()) {
    return "no cgroup2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup";
  }
  return "";
}

std::vector<std::string> payload(std::initializer_list<std::string> args) {
  std::vector<std::string> out{payloadBin()};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::vector<std::string> concat(std::vector<std::string> options,
                                const std::vector<std::string>& program) {
  options.insert(options.end(), program.begin(), program.end());
  return options;
}

std::optional<std::string> readFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string text;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

std::vector<std::string> fileLines(const std::string& path) {
  return splitLines(readFile(path).value_or(""));
}

bool fileExists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

bool waitForFileContaining(const std::string& path, std::string_view needle,
                           Clock::duration timeout) {
  return waitUntil(
      [&] {
        auto text = readFile(path);
        return text && text->find(needle) != std::string::npos;
      },
      timeout);
}

bool waitForFile(const std::string& path, Clock::duration timeout) {
  return waitUntil([&] { return fileExists(path); }, timeout);
}

std::optional<char> processState(pid_t pid) {
  auto text = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (!text) {
    return std::nullopt;
  }
  // "pid (comm) S ppid ...": comm may contain anything, so look after the last ')'.
  const auto close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size()) {
    return std::nullopt;
  }
  return (*text)[close + 2];
}

bool isAlive(pid_t pid) {
  auto state = processState(pid);
  return state && *state != 'Z' && *state != 'X';
}

std::vector<ChildInfo> childrenOf(pid_t parent) {
  std::vector<ChildInfo> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return children;
  }
  while (const dirent* entry = readdir(proc)) {
    auto pid = toNumber(entry->d_name);
    if (!pid) {
      continue;
    }
    auto text = readFile(std::string("/proc/") + entry->d_name + "/stat");
    if (!text) {
      continue;
    }
    const auto close = text->rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream rest(text->substr(close + 1));
    char state = 0;
    long ppid = 0;
    if (rest >> state >> ppid && ppid == parent) {
      children.push_back({static_cast<pid_t>(*pid), state});
    }
  }
  closedir(proc);
  return children;
}

std::optional<long> contextSwitches(pid_t pid) {
  auto voluntary = statusField(pid, "voluntary_ctxt_switches");
  auto involuntary = statusField(pid, "nonvoluntary_ctxt_switches");
  if (!voluntary || !involuntary) {
    return std::nullopt;
  }
  return std::stol(*voluntary) + std::stol(*involuntary);
}

std::string recordName(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  const char* abbrev = sigabbrev_np(sig);
  return std::string("SIG") + (abbrev != nullptr ? abbrev : std::to_string(sig));
}

std::vector<pid_t> procsIn(const std::string& dir) {
  std::vector<pid_t> pids;
  for (const auto& line : fileLines(dir + "/cgroup.procs")) {
    if (auto pid = toNumber(line)) {
      pids.push_back(static_cast<pid_t>(*pid));
    }
  }
  return pids;
}

std::vector<std::string> subCgroups(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code typeEc;
    if (entry.is_directory(typeEc)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string cgroupLineOf(pid_t pid) {
  for (const auto& line : fileLines("/proc/" + std::to_string(pid) + "/cgroup")) {
    if (line.starts_with("0::")) {
      return line;
    }
  }
  return "";
}

// --- ExitWatch
// -------------------------------------------------------------------------------------

ExecSession::ExecSession(pid_t init, const std::vector<std::string>& argv) {
  const std::string ns = "/proc/" + std::to_string(init) + "/ns/pid";
  const int nsFd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  int report[2];
  if (nsFd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "exec session: " << ns << ": " << strerror(errno);
    if (nsFd >= 0) {
      close(nsFd);
    }
    return;
  }
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  helper_ = fork();
  if (helper_ == 0) {
    // Only async-signal-safe calls: the test process may have threads.
    if (setns(nsFd, CLONE_NEWPID) != 0) {
      _exit(101);
    }
    const pid_t child = fork();  // in the namespace; its parent (this helper) is not
    if (child == 0) {
      execv(args[0], args.data());
      _exit(127);
    }
    if (child < 0 || write(report[1], &child, sizeof child) != sizeof child) {
      _exit(101);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(nsFd);
  close(report[1]);
  pollfd pfd{report[0], POLLIN, 0};
  pid_t child = -1;
  if (helper_ > 0 && poll(&pfd, 1, 5000) == 1 &&
      read(report[0], &child, sizeof child) == sizeof child) {
    pid_ = child;  // fork() in the helper returns the pid as the host sees it
  } else {
    ADD_FAILURE() << "exec session: the helper did not start it";
  }
  close(report[0]);
}

ExecSession::~ExecSession() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
  }
  if (helper_ > 0) {
    // The helper exits as soon as its child is gone, which SIGKILL makes sure of.
    int status = 0;
    while (waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

ExitWatch::ExitWatch(pid_t pid) : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {}

ExitWatch::~ExitWatch() {
  if (fd_ >= 0) {
    close(fd_);
  }
}

std::optional<Clock::time_point> ExitWatch::wait(Clock::duration timeout) {
  if (exitedAt_ || fd_ < 0) {
    return exitedAt_;
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(std::max<milliseconds::rep>(left, 0)));
    if (r > 0) {
      exitedAt_ = Clock::now();
      return exitedAt_;
    }
    if (r == 0 || errno != EINTR) {
      return std::nullopt;
    }
  }
}

// --- TempDir
// ---------------------------------------------------------------------------------------

TempDir::TempDir() {
  std::string tmpl = "/tmp/cginit-it-XXXXXX";
  if (mkdtemp(tmpl.data()) != nullptr) {
    path_ = tmpl;
  } else {
    ADD_FAILURE() << "mkdtemp: " << strerror(errno);
  }
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

// --- TestCgroup
// ------------------------------------------------------------------------------------

TestCgroup::TestCgroup() {
  const std::string root = cgroupRoot();
  if (root.empty() || geteuid() != 0) {
    return;
  }
  path_ = root + "/cginit-it-" + std::to_string(getpid()) + "-" +
          std::to_string(gCgroupCounter.fetch_add(1));
  if (mkdir(path_.c_str(), 0755) != 0) {
    ADD_FAILURE() << "mkdir " << path_ << ": " << strerror(errno);
    path_.clear();
    return;
  }
  fd_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) {
    ADD_FAILURE() << "open " << path_ << ": " << strerror(errno);
  }
}

TestCgroup::~TestCgroup() {
  destroy();
}

namespace {

void collectProcs(const std::string& dir, std::vector<pid_t>& out) {
  for (const auto& line : fileLines(dir + "/cgroup.procs")) {
    if (auto pid = toNumber(line)) {
      out.push_back(static_cast<pid_t>(*pid));
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code typeEc;
    if (entry.is_directory(typeEc)) {
      collectProcs(entry.path().string(), out);
    }
  }
}

/// rmdir of `dir` after every cgroup below it, deepest first.
bool removeTree(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> subdirs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code typeEc;
    if (entry.is_directory(typeEc)) {
      subdirs.push_back(entry.path().string());
    }
  }
  bool ok = true;
  for (const auto& sub : subdirs) {
    ok = removeTree(sub) && ok;
  }
  // A cgroup can stay busy for a moment after its last process was reaped.
  return waitUntil([&] { return rmdir(dir.c_str()) == 0 || errno == ENOENT; }, 2s, 10ms) && ok;
}

}  // namespace

std::vector<pid_t> TestCgroup::procs() const {
  std::vector<pid_t> out;
  if (!path_.empty()) {
    collectProcs(path_, out);
  }
  return out;
}

void TestCgroup::kill() const {
  if (path_.empty()) {
    return;
  }
  const std::string file = path_ + "/cgroup.kill";
  const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "1", 1);
    close(fd);
    return;
  }
  // Kernels before 5.14 have no cgroup.kill: kill what is there now (waitEmpty() polls).
  for (pid_t pid : procs()) {
    ::kill(pid, SIGKILL);
  }
}

bool TestCgroup::waitEmpty(Clock::duration timeout) const {
  if (path_.empty()) {
    return true;
  }
  const bool hasKill = fileExists(path_ + "/cgroup.kill");
  return waitUntil(
      [&] {
        auto events = readFile(path_ + "/cgroup.events");
        if (!events || events->find("populated 0") != std::string::npos) {
          return true;
        }
        if (!hasKill) {
          kill();
        }
        return false;
      },
      timeout);
}

void TestCgroup::destroy() {
  if (path_.empty()) {
    return;
  }
  kill();
  if (!waitEmpty(10s)) {
    ADD_FAILURE() << "test cgroup " << path_ << " still populated 10 s after cgroup.kill";
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!removeTree(path_)) {
    ADD_FAILURE() << "could not remove test cgroup " << path_ << ": " << strerror(errno);
  }
  path_.clear();
}

bool moveInto(const std::string& dir, pid_t pid) {
  const std::string file = dir + "/cgroup.procs";
  const int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const std::string text = std::to_string(pid);
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::string hierarchyPath(Sandbox& sb) {
  return sb.cgroup().path().substr(cgroupRoot().size());
}

}  // namespace cginit::it
