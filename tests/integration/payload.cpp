// SPDX-License-Identifier: MIT
// Multi-call test program that the integration tests run under cginit: `payload CMD [ARG]...`.
//
// Commands take a fixed number of arguments, so they chain left to right:
// `payload orphans 100 A pidfile F sleep 30`. The chain ends with status 0 unless a command ends
// it. Failures of the payload itself exit with 100 or 101 (never 77, which means "skipped").
//
//   exit N                 exit with status N
//   kill-self SIG          die by signal SIG (name or number; no core file)
//   orphans N F            a middle process forks N children and exits; they exit once orphaned;
//                          the first writes its adopter's pid to F, which the command waits for
//   daemon handle|ignore F double-fork + setsid daemon that writes its pid to F.pid and then, on
//                          SIGTERM, writes "TERM" to F and exits (handle) or does nothing (ignore);
//                          the command returns once the daemon is ready
//   daemon-pair F          a setsid daemon that ignores SIGTERM (pid in F.pid) with a child of
//                          its own that ignores it too (pid in F.child.pid); the daemon is the
//                          program's child, so it is orphaned when the program exits, and its
//                          child only when the daemon dies; returns once both are ready
//   daemon-in handle|ignore F DIR
//                          the same daemon, which moves itself into cgroup DIR (made with its
//                          parents where missing) before it is ready
//   daemon-flee F DIR      a daemon (pid in F.pid) whose SIGTERM handler writes "TERM" to F and
//                          moves it into cgroup DIR instead of exiting
//   move-parent DIR        write the parent's pid into DIR/cgroup.procs (DIR made if missing)
//   move-init DIR          write pid 1 (the PID namespace's init) into DIR/cgroup.procs
//   threaded DIR           make cgroup DIR and write "threaded" to its cgroup.type
//   ignore-term            set SIGTERM to SIG_IGN
//   ignore SIG             set SIG (name or number) to SIG_IGN
//   record-signals F       append "SIG<NAME>\n" to F per signal, "ready\n" once handlers are set;
//                          exit 0 on SIGTERM (after recording it)
//   record-signals-stay F  the same, but SIGTERM does not end it
//   bg-record F            fork a member of the process group that runs record-signals F
//   list-fds               print the open fds, one per line (not the one reading /proc/self/fd)
//   sigstate               print the SigBlk and SigIgn lines of /proc/self/status
//   pgrp                   print "pid=P pgrp=G sid=S tpgrp=T" (T: tcgetpgrp(0), -1 without a tty)
//   cgroup                 print the "0::" line of /proc/self/cgroup
//   pidfile F              write the pid (as this PID namespace sees it) to F, atomically
//   touch F                create F
//   sleep SECONDS          sleep (fractions allowed), despite signal handlers
//   args ARG...            print every remaining argument, one per line, and exit 0
//   exec PROGRAM [ARG]...  execv PROGRAM with the remaining words (ignored signals stay ignored)
//   daemons N              N setsid daemons that ignore SIGTERM, orphaned at once (their parent
//                          exits); the command returns once all of them are ready
//   daemons-mixed N F      the same, but every other one (the even-numbered, N/2 rounded up)
//                          handles SIGTERM: it appends one byte "T" to F and exits
//   forkstorm N F          a detached process (an orphan of its own) forks N children that exit at
//                          once, in batches of 100 whose parent exits, so that the init reaps every
//                          one; writes "done N" to F at the end; the command returns at once
//   spawn-many N           N times, one after the other: a child forks a grandchild and exits; the
//                          grandchild, an orphan, execs `payload exit 0`; waits until it has exited
//   await F                wait (up to 10 minutes) until F exists
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitUsage = 100;
constexpr int kExitSystem = 101;

[[noreturn]] void die(int code, const std::string& what) {
  const std::string line = "payload: " + what + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  _exit(code);
}

[[noreturn]] void dieErrno(const std::string& what) {
  die(kExitSystem, what + ": " + strerror(errno));
}

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      dieErrno("write");
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void out(std::string_view text) {
  writeAll(STDOUT_FILENO, text);
}

long parseNumber(std::string_view text) {
  long value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    die(kExitUsage, "not a number: " + std::string(text));
  }
  return value;
}

/// "HUP", "RTMIN+3", ... for signal numbers 1..SIGRTMAX.
std::string signalName(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return "RTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? abbrev : std::to_string(sig);
}

int parseSignal(std::string_view text) {
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    return static_cast<int>(parseNumber(text));
  }
  if (text.starts_with("SIG")) {
    text.remove_prefix(3);
  }
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    if (signalName(sig) == text) {
      return sig;
    }
  }
  die(kExitUsage, "unknown signal: " + std::string(text));
}

void writeFileAtomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    dieErrno("open " + tmp);
  }
  writeAll(fd, content);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    dieErrno("rename " + path);
  }
}

std::string readFile(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    dieErrno(std::string("open ") + path);
  }
  std::string text;
  std::array<char, 4096> buf{};
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

void sleepFor(double seconds) {
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  const auto whole = static_cast<time_t>(seconds);
  deadline.tv_sec += whole;
  deadline.tv_nsec += static_cast<long>((seconds - static_cast<double>(whole)) * 1e9);
  if (deadline.tv_nsec >= 1'000'000'000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000L;
  }
  // Signal handlers interrupt the sleep; absolute time makes resuming exact.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}

[[noreturn]] void pauseForever() {
  for (;;) {
    pause();
  }
}

// --- record-signals ---------------------------------------------------------------------------

// Prepared before any handler is installed, so that the handler only calls write().
std::array<std::string, 65> gSignalLines;
int gRecordFd = -1;
bool gExitOnTerm = true;

void recordSignal(int sig) {
  const int saved = errno;
  const std::string& line = gSignalLines[static_cast<size_t>(sig)];
  (void)!write(gRecordFd, line.data(), line.size());
  if (sig == SIGTERM && gExitOnTerm) {
    _exit(0);
  }
  errno = saved;
}

bool isSynchronousFault(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
         sig == SIGSYS;
}

[[noreturn]] void recordSignals(const std::string& path, bool exitOnTerm) {
  gRecordFd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (gRecordFd < 0) {
    dieErrno("open " + path);
  }
  gExitOnTerm = exitOnTerm;
  for (int sig = 1; sig <= SIGRTMAX && sig < static_cast<int>(gSignalLines.size()); ++sig) {
    gSignalLines[static_cast<size_t>(sig)] = "SIG" + signalName(sig) + "\n";
  }
  struct sigaction sa {};
  sa.sa_handler = recordSignal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int sig = 1; sig <= SIGRTMAX && sig < static_cast<int>(gSignalLines.size()); ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || isSynchronousFault(sig)) {
      continue;
    }
    // glibc reserves 32 and 33 and refuses them; nothing else may fail.
    if (sigaction(sig, &sa, nullptr) != 0 && errno != EINVAL) {
      dieErrno("sigaction " + std::to_string(sig));
    }
  }
  writeAll(gRecordFd, "ready\n");
  pauseForever();
}

// --- commands ---------------------------------------------------------------------------------

[[noreturn]] void killSelf(int sig) {
  const rlimit noCore{0, 0};
  setrlimit(RLIMIT_CORE, &noCore);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  kill(getpid(), sig);
  die(kExitSystem, "still alive after signal " + std::to_string(sig));
}

void orphans(long count, const std::string& adopterFile) {
  const pid_t middle = fork();
  if (middle < 0) {
    dieErrno("fork");
  }
  if (middle == 0) {
    const pid_t middlePid = getpid();
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) {
      dieErrno("pipe2");
    }
    for (long i = 0; i < count; ++i) {
      const pid_t child = fork();
      if (child < 0) {
        dieErrno("fork orphan " + std::to_string(i));
      }
      if (child == 0) {
        // Wait until the middle process is gone (EOF), so that this one is re-parented first.
        close(gate[1]);
        char byte = 0;
        while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {
        }
        if (i == 0) {
          // The pipe closes before the kernel re-parents us: wait for the new parent.
          for (int tries = 0; getppid() == middlePid && tries < 10000; ++tries) {
            sleepFor(0.001);
          }
          writeFileAtomically(adopterFile, std::to_string(getppid()) + "\n");
        }
        _exit(0);
      }
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(middle, &status, 0) < 0) {
    if (errno != EINTR) {
      dieErrno("waitpid");
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die(kExitSystem, "orphan maker failed");
  }
  // Return only once the adopter is known, so that the caller may exit without a race.
  for (int tries = 0; access(adopterFile.c_str(), F_OK) != 0; ++tries) {
    if (tries == 10000) {
      die(kExitSystem, "no orphan reported its adopter");
    }
    sleepFor(0.001);
  }
}

std::string gDaemonFile;
// daemon-flee: where the TERM handler moves the daemon, and its pid, prepared beforehand.
std::string gFleeProcs;
std::string gFleePid;

/// mkdir -p for cgroupfs directories (a missing parent is made first).
void makeDirs(const std::string& dir) {
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    const std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      dieErrno("mkdir " + part);
    }
  }
}

/// Writes `pid` into DIR/cgroup.procs (making DIR first), as a workload that escapes would.
void joinCgroup(const std::string& dir, pid_t pid) {
  makeDirs(dir);
  const std::string procs = dir + "/cgroup.procs";
  const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    dieErrno("open " + procs);
  }
  const std::string text = std::to_string(pid);
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    dieErrno("write " + procs);
  }
  close(fd);
}

void daemonOnTerm(int) {
  const int fd = open(gDaemonFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "TERM", 4);
    close(fd);
  }
  if (!gFleeProcs.empty()) {
    // Flee from the drain instead of exiting: into another cgroup, and stay.
    const int procs = open(gFleeProcs.c_str(), O_WRONLY | O_CLOEXEC);
    if (procs >= 0) {
      (void)!write(procs, gFleePid.data(), gFleePid.size());
      close(procs);
    }
    return;
  }
  _exit(0);
}

void daemonize(const std::string& mode, const std::string& file, const std::string& cgroup = "",
               const std::string& fleeTo = "") {
  if (mode != "handle" && mode != "ignore") {
    die(kExitUsage, "daemon mode must be handle or ignore: " + mode);
  }
  gDaemonFile = file;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    dieErrno("pipe2");
  }
  const pid_t first = fork();
  if (first < 0) {
    dieErrno("fork");
  }
  if (first == 0) {
    close(ready[0]);
    if (setsid() < 0) {
      dieErrno("setsid");
    }
    const pid_t second = fork();
    if (second < 0) {
      dieErrno("fork");
    }
    if (second != 0) {
      _exit(0);
    }
    if (!cgroup.empty()) {
      joinCgroup(cgroup, getpid());
    }
    if (!fleeTo.empty()) {
      makeDirs(fleeTo);
      gFleeProcs = fleeTo + "/cgroup.procs";
      gFleePid = std::to_string(getpid());
    }
    if (mode == "handle") {
      struct sigaction sa {};
      sa.sa_handler = daemonOnTerm;
      sigaction(SIGTERM, &sa, nullptr);
    } else {
      signal(SIGTERM, SIG_IGN);
    }
    writeFileAtomically(file + ".pid", std::to_string(getpid()) + "\n");
    writeAll(ready[1], "r");
    close(ready[1]);
    pauseForever();
  }
  close(ready[1]);
  int status = 0;
  while (waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  char byte = 0;
  ssize_t n = 0;
  while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
  }
  close(ready[0]);
  if (n != 1) {
    die(kExitSystem, "daemon did not get ready");
  }
}

void daemonPair(const std::string& file) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    dieErrno("pipe2");
  }
  const pid_t daemon = fork();
  if (daemon < 0) {
    dieErrno("fork");
  }
  if (daemon == 0) {
    close(ready[0]);
    if (setsid() < 0) {
      dieErrno("setsid");
    }
    signal(SIGTERM, SIG_IGN);
    const pid_t child = fork();
    if (child < 0) {
      dieErrno("fork");
    }
    if (child == 0) {
      writeFileAtomically(file + ".child.pid", std::to_string(getpid()) + "\n");
      writeAll(ready[1], "c");
      close(ready[1]);
      pauseForever();
    }
    writeFileAtomically(file + ".pid", std::to_string(getpid()) + "\n");
    writeAll(ready[1], "d");
    close(ready[1]);
    pauseForever();
  }
  close(ready[1]);
  // Two bytes, one from each, before the program may go on (and exit).
  char bytes[2];
  size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = read(ready[0], bytes + got, sizeof bytes - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      die(kExitSystem, "daemon pair did not get ready");
    }
    got += static_cast<size_t>(n);
  }
  close(ready[0]);
}

void bgRecord(const std::string& file) {
  const std::string readyLine = "ready\n";
  const pid_t child = fork();
  if (child < 0) {
    dieErrno("fork");
  }
  if (child == 0) {
    recordSignals(file, true);
  }
  // Continue only once the member's handlers are in place.
  for (int i = 0; i < 10000; ++i) {
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      if (readFile(file.c_str()).find(readyLine) != std::string::npos) {
        return;
      }
    }
    sleepFor(0.001);
  }
  die(kExitSystem, "bg-record member did not get ready");
}

void listFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    dieErrno("opendir /proc/self/fd");
  }
  std::vector<long> fds;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    const long fd = parseNumber(name);
    if (fd != dirfd(dir)) {
      fds.push_back(fd);
    }
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  std::string text;
  for (long fd : fds) {
    text += std::to_string(fd) + "\n";
  }
  out(text);
}

/// waitpid that retries on EINTR and dies unless the child exited with status 0.
void reapOk(pid_t pid, const std::string& what) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      dieErrno("waitpid " + what);
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die(kExitSystem, what + " failed");
  }
}

/// The file that daemons-mixed's TERM handlers append to (set before the fork).
std::string gTermFile;

void appendTermAndExit(int) {
  const int fd = open(gTermFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "T", 1);
    close(fd);
  }
  _exit(0);
}

void daemons(long count, const std::string& termFile = "") {
  gTermFile = termFile;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    dieErrno("pipe2");
  }
  const pid_t middle = fork();
  if (middle < 0) {
    dieErrno("fork");
  }
  if (middle == 0) {
    close(ready[0]);
    for (long i = 0; i < count; ++i) {
      const pid_t child = fork();
      if (child < 0) {
        dieErrno("fork daemon " + std::to_string(i));
      }
      if (child == 0) {
        if (setsid() < 0) {
          dieErrno("setsid");
        }
        signal(SIGTERM, !termFile.empty() && i % 2 == 0 ? appendTermAndExit : SIG_IGN);
        writeAll(ready[1], "r");
        close(ready[1]);
        pauseForever();
      }
    }
    _exit(0);
  }
  close(ready[1]);
  reapOk(middle, "daemon maker");
  // EOF once every daemon has written its byte and closed its end (or died).
  long readyCount = 0;
  std::array<char, 256> buf{};
  for (;;) {
    const ssize_t n = read(ready[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    readyCount += n;
  }
  close(ready[0]);
  if (readyCount != count) {
    die(kExitSystem,
        std::to_string(readyCount) + " of " + std::to_string(count) + " daemons got ready");
  }
}

void forkStorm(long count, const std::string& doneFile) {
  constexpr long kBatch = 100;
  const pid_t middle = fork();
  if (middle < 0) {
    dieErrno("fork");
  }
  if (middle == 0) {
    const pid_t storm = fork();
    if (storm < 0) {
      dieErrno("fork");
    }
    if (storm != 0) {
      _exit(0);
    }
    for (long forked = 0; forked < count;) {
      const long batch = std::min(kBatch, count - forked);
      const pid_t batchParent = fork();
      if (batchParent < 0) {
        dieErrno("fork batch parent");
      }
      if (batchParent == 0) {
        for (long i = 0; i < batch; ++i) {
          const pid_t child = fork();
          if (child < 0) {
            dieErrno("fork storm child");
          }
          if (child == 0) {
            _exit(0);
          }
        }
        _exit(0);  // the children, exited or not, are re-parented to the init
      }
      reapOk(batchParent, "storm batch");
      forked += batch;
    }
    writeFileAtomically(doneFile, "done " + std::to_string(count) + "\n");
    _exit(0);
  }
  reapOk(middle, "storm starter");
}

void spawnMany(long count) {
  std::array<std::string, 3> words{"payload", "exit", "0"};
  std::array<char*, 4> argv{words[0].data(), words[1].data(), words[2].data(), nullptr};
  for (long i = 0; i < count; ++i) {
    int done[2];
    if (pipe2(done, O_CLOEXEC) != 0) {
      dieErrno("pipe2");
    }
    const pid_t child = fork();
    if (child < 0) {
      dieErrno("fork");
    }
    if (child == 0) {
      close(done[0]);
      const pid_t grandchild = fork();
      if (grandchild < 0) {
        dieErrno("fork");
      }
      if (grandchild == 0) {
        // The write end stays open across exec and closes when the program exits.
        if (fcntl(done[1], F_SETFD, 0) != 0) {
          dieErrno("fcntl");
        }
        execv("/proc/self/exe", argv.data());
        dieErrno("execv /proc/self/exe");
      }
      _exit(0);
    }
    close(done[1]);
    reapOk(child, "spawn-many child");
    char byte = 0;
    while (read(done[0], &byte, 1) < 0 && errno == EINTR) {
    }
    close(done[0]);
  }
}

void awaitFile(const std::string& path) {
  constexpr int kTries = 300'000;  // 2 ms each: 10 minutes
  for (int tries = 0; access(path.c_str(), F_OK) != 0; ++tries) {
    if (tries == kTries) {
      die(kExitSystem, "no " + path + " after 10 minutes");
    }
    sleepFor(0.002);
  }
}

void printStatusLines(const char* path, const std::vector<std::string_view>& prefixes) {
  const std::string text = readFile(path);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string_view line(text.data() + pos, end - pos);
    for (auto prefix : prefixes) {
      if (line.starts_with(prefix)) {
        out(std::string(line) + "\n");
      }
    }
    pos = end + 1;
  }
}

void printPgrp() {
  out("pid=" + std::to_string(getpid()) + " pgrp=" + std::to_string(getpgrp()) + " sid=" +
      std::to_string(getsid(0)) + " tpgrp=" + std::to_string(tcgetpgrp(STDIN_FILENO)) + "\n");
}

struct Command {
  std::string_view name;
  int arity;
};

// `args` is handled in main(): it takes every remaining word.
// One command a line: from 20 items on, clang-format would pack them in columns.
// clang-format off
constexpr std::array<Command, 27> kCommands = {{
    {"exit", 1},
    {"kill-self", 1},
    {"orphans", 2},
    {"daemon", 2},
    {"daemon-pair", 1},
    {"daemon-in", 3},
    {"daemon-flee", 2},
    {"move-parent", 1},
    {"move-init", 1},
    {"threaded", 1},
    {"ignore-term", 0},
    {"ignore", 1},
    {"record-signals", 1},
    {"record-signals-stay", 1},
    {"bg-record", 1},
    {"list-fds", 0},
    {"sigstate", 0},
    {"pgrp", 0},
    {"cgroup", 0},
    {"pidfile", 1},
    {"touch", 1},
    {"sleep", 1},
    {"daemons", 1},
    {"daemons-mixed", 2},
    {"forkstorm", 2},
    {"spawn-many", 1},
    {"await", 1},
}};
// clang-format on

void run(std::string_view cmd, const std::vector<std::string>& a) {
  if (cmd == "exit") {
    _exit(static_cast<int>(parseNumber(a[0])));
  } else if (cmd == "kill-self") {
    killSelf(parseSignal(a[0]));
  } else if (cmd == "orphans") {
    orphans(parseNumber(a[0]), a[1]);
  } else if (cmd == "daemon") {
    daemonize(a[0], a[1]);
  } else if (cmd == "daemon-in") {
    daemonize(a[0], a[1], a[2]);
  } else if (cmd == "daemon-flee") {
    daemonize("handle", a[0], "", a[1]);
  } else if (cmd == "move-init") {
    joinCgroup(a[0], 1);
  } else if (cmd == "move-parent") {
    joinCgroup(a[0], getppid());
  } else if (cmd == "threaded") {
    makeDirs(a[0]);
    const std::string type = a[0] + "/cgroup.type";
    const int fd = open(type.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "threaded", 8) != 8) {
      dieErrno("threaded " + type);
    }
    close(fd);
  } else if (cmd == "daemon-pair") {
    daemonPair(a[0]);
  } else if (cmd == "ignore-term") {
    signal(SIGTERM, SIG_IGN);
  } else if (cmd == "ignore") {
    if (signal(parseSignal(a[0]), SIG_IGN) == SIG_ERR) {
      dieErrno("signal " + a[0]);
    }
  } else if (cmd == "record-signals") {
    recordSignals(a[0], true);
  } else if (cmd == "record-signals-stay") {
    recordSignals(a[0], false);
  } else if (cmd == "bg-record") {
    bgRecord(a[0]);
  } else if (cmd == "list-fds") {
    listFds();
  } else if (cmd == "sigstate") {
    printStatusLines("/proc/self/status", {"SigBlk:", "SigIgn:"});
  } else if (cmd == "pgrp") {
    printPgrp();
  } else if (cmd == "cgroup") {
    printStatusLines("/proc/self/cgroup", {"0::"});
  } else if (cmd == "pidfile") {
    writeFileAtomically(a[0], std::to_string(getpid()) + "\n");
  } else if (cmd == "touch") {
    const int fd = open(a[0].c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      dieErrno("open " + a[0]);
    }
    close(fd);
  } else if (cmd == "sleep") {
    sleepFor(std::strtod(a[0].c_str(), nullptr));
  } else if (cmd == "daemons") {
    daemons(parseNumber(a[0]));
  } else if (cmd == "daemons-mixed") {
    daemons(parseNumber(a[0]), a[1]);
  } else if (cmd == "forkstorm") {
    forkStorm(parseNumber(a[0]), a[1]);
  } else if (cmd == "spawn-many") {
    spawnMany(parseNumber(a[0]));
  } else if (cmd == "await") {
    awaitFile(a[0]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  while (i < args.size()) {
    const std::string& name = args[i++];
    if (name == "args") {
      std::string text;
      for (; i < args.size(); ++i) {
        text += args[i] + "\n";
      }
      out(text);
      return 0;
    }
    if (name == "exec") {
      if (i == args.size()) {
        die(kExitUsage, "missing arguments for exec");
      }
      std::vector<char*> argvOut;
      for (size_t k = i; k < args.size(); ++k) {
        argvOut.push_back(argv[k + 1]);
      }
      argvOut.push_back(nullptr);
      execv(argvOut[0], argvOut.data());
      dieErrno("execv " + args[i]);
    }
    const auto* cmd = std::find_if(kCommands.begin(), kCommands.end(),
                                   [&](const Command& c) { return c.name == name; });
    if (cmd == kCommands.end()) {
      die(kExitUsage, "unknown command: " + name);
    }
    const auto arity = static_cast<size_t>(cmd->arity);
    if (args.size() - i < arity) {
      die(kExitUsage, "missing arguments for " + name);
    }
    const std::vector<std::string> cmdArgs(args.begin() + static_cast<std::ptrdiff_t>(i),
                                           args.begin() + static_cast<std::ptrdiff_t>(i + arity));
    i += arity;
    run(name, cmdArgs);
  }
  return 0;
}
