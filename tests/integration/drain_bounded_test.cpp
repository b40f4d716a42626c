// SPDX-License-Identifier: MIT
// The drain never hangs: few fds and many processes, in every backend, as PID 1 and with -s.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.h"
#include "report_json.h"

namespace cginit::it {
namespace {

/// Processes that join cginit's PID namespace and a cgroup of the container from outside, as
/// `docker exec` starts them: nobody's children there. Every other one (the even-numbered)
/// handles SIGTERM by appending "T" to `termFile` and exiting; the rest ignore it. A leader
/// outside the namespace forks them and waits for them.
class StrangerGroup {
 public:
  StrangerGroup(pid_t initPid, const std::string& cgroupDir, int count,
                const std::string& termFile) {
    const std::string ns = "/proc/" + std::to_string(initPid) + "/ns/pid";
    const std::string procs = cgroupDir + "/cgroup.procs";
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
      return;
    }
    leader_ = fork();
    if (leader_ == 0) {
      close(ready[0]);
      const int nsfd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0 || setns(nsfd, CLONE_NEWPID) != 0) {
        _exit(120);
      }
      for (int i = 0; i < count; ++i) {
        const pid_t child = fork();
        if (child < 0) {
          _exit(121);
        }
        if (child == 0) {
          runStranger(procs, termFile, i % 2 == 0, ready[1]);
        }
      }
      close(ready[1]);
      while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
      }
      _exit(0);
    }
    close(ready[1]);
    if (leader_ < 0) {
      close(ready[0]);
      return;
    }
    // EOF once every stranger has joined, said so and closed its end (or died).
    char buf[256];
    for (;;) {
      const ssize_t n = read(ready[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      ready_ += static_cast<int>(n);
    }
    close(ready[0]);
  }
  ~StrangerGroup() {
    if (leader_ > 0) {
      kill(leader_, SIGKILL);  // the strangers themselves go with the test cgroup
      waitpid(leader_, nullptr, 0);
    }
  }
  StrangerGroup(const StrangerGroup&) = delete;
  StrangerGroup& operator=(const StrangerGroup&) = delete;

  /// How many strangers joined and got ready.
  int ready() const { return ready_; }

 private:
  static inline std::string termFile_;

  static void onTerm(int) {
    const int fd = open(termFile_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!write(fd, "T", 1);
      close(fd);
    }
    _exit(0);
  }

  [[noreturn]] static void runStranger(const std::string& procs, const std::string& termFile,
                                       bool handles, int readyFd) {
    termFile_ = termFile;
    const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      _exit(122);
    }
    close(fd);
    signal(SIGTERM, handles ? onTerm : SIG_IGN);
    if (write(readyFd, "r", 1) != 1) {
      _exit(123);
    }
    close(readyFd);
    for (;;) {
      pause();
    }
  }

  pid_t leader_ = -1;
  int ready_ = 0;
};

bool touch(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  return fd >= 0 && close(fd) == 0;
}

size_t fileSize(const std::string& path) {
  return readFile(path).value_or("").size();
}

enum class Cgroupfs { ReadOnly, Managed, Off };

struct Shape {
  Cgroupfs cgroupfs;
  Mode mode;
  long nofile;
  int daemons;    // setsid daemons, orphaned: cginit's children
  int strangers;  // joined from outside
};

std::string shapeName(const ::testing::TestParamInfo<Shape>& info) {
  const Shape& s = info.param;
  const char* fs = s.cgroupfs == Cgroupfs::ReadOnly  ? "ReadOnly"
                   : s.cgroupfs == Cgroupfs::Managed ? "Managed"
                                                     : "NoCgroup";
  return std::string(fs) + (s.mode == Mode::Pid1 ? "Pid1" : "Subreaper") + "Nofile" +
         std::to_string(s.nofile) + "With" + std::to_string(s.daemons + s.strangers);
}

RunSpec specFor(const Shape& s, std::vector<std::string> args) {
  if (s.mode == Mode::Plain) {
    args.insert(args.begin(), "-s");
  }
  if (s.cgroupfs == Cgroupfs::Off) {
    args.insert(args.begin(), {"--cgroup", "off"});
  }
  RunSpec spec(s.mode, std::move(args));
  if (s.cgroupfs == Cgroupfs::ReadOnly) {
    spec = spec.withReadOnlyCgroup();
  } else if (s.cgroupfs == Cgroupfs::Managed) {
    spec = spec.withCgroupNamespace();
  }
  return spec.withNofile(s.nofile, s.nofile);
}

/// Where `docker exec` puts a process: init/ when cginit manages the cgroup, else its cgroup.
std::string execCgroup(Sandbox& sb, const Shape& s) {
  return sb.cgroup().path() + (s.cgroupfs == Cgroupfs::Managed ? "/init" : "");
}

class DrainBoundedTest : public IntegrationTest, public ::testing::WithParamInterface<Shape> {};

// More processes than cginit has fds, half of them ignoring SIGTERM, half of them strangers
// that joined from outside: cginit exits with the program's status within the grace period and
// a small bound, every TERM handler got SIGTERM, nothing is left, the report is written.
TEST_P(DrainBoundedTest, ManyProcessesFewFdsEndWithinGrace) {
  const Shape s = GetParam();
  Sandbox sb;
  const std::string report = sb.file("report.json");
  const std::string daemonTerms = sb.file("daemon-terms");
  const std::string strangerTerms = sb.file("stranger-terms");
  const std::string pidFile = sb.file("program.pid");
  const std::string go = sb.file("go");
  // Long enough for every TERM handler to run on a loaded machine (an ASan build forks slowly).
  const auto grace = s.daemons + s.strangers > 400 ? 5s : 1s;
  ASSERT_TRUE(sb.start(
      specFor(s, concat({"--grace", std::to_string(grace.count()) + "s", "--report", report},
                        payload({"daemons-mixed", std::to_string(s.daemons), daemonTerms, "pidfile",
                                 pidFile, "await", go, "exit", "3"})))));
  ASSERT_TRUE(waitForFile(pidFile, 60s)) << sb.stderrText();
  StrangerGroup strangers(sb.pid(), execCgroup(sb, s), s.strangers, strangerTerms);
  ASSERT_EQ(strangers.ready(), s.strangers) << sb.stderrText();

  const auto t0 = Clock::now();
  ASSERT_TRUE(touch(go));
  const auto status = sb.wait(grace + 20s);
  ASSERT_TRUE(status) << "cginit did not end the drain: " << sb.stderrText();
  EXPECT_EQ(*status, ExitStatus::exited(3)) << sb.stderrText();
  EXPECT_GE(Clock::now() - t0, grace - 100ms)
      << "the TERM-ignoring processes were killed before grace";
  EXPECT_LT(Clock::now() - t0, grace + 10s) << sb.stderrText();
  EXPECT_EQ(fileSize(daemonTerms), static_cast<size_t>((s.daemons + 1) / 2)) << sb.stderrText();
  if (s.cgroupfs != Cgroupfs::Off || s.mode == Mode::Pid1) {
    // Without a cgroup and not PID 1, nothing can find processes that are nobody's children.
    EXPECT_EQ(fileSize(strangerTerms), static_cast<size_t>((s.strangers + 1) / 2))
        << sb.stderrText();
  }
  // Nothing is left in the container's cgroup but, with -s, the harness's own PID 1.
  EXPECT_TRUE(waitUntil(
      [&] { return sb.cgroup().procs().size() <= (s.mode == Mode::Plain ? 1u : 0u); }, 5s))
      << sb.cgroup().procs().size() << " process(es) left";
  const auto json = parseJson(readFile(report).value_or(""));
  ASSERT_TRUE(json) << readFile(report).value_or("(no report)") << sb.stderrText();
  EXPECT_EQ(json->stringAt("drain"), "killed");
}

INSTANTIATE_TEST_SUITE_P(Shapes, DrainBoundedTest,
                         ::testing::Values(Shape{Cgroupfs::ReadOnly, Mode::Pid1, 16, 200, 200},
                                           Shape{Cgroupfs::ReadOnly, Mode::Plain, 16, 200, 200},
                                           Shape{Cgroupfs::ReadOnly, Mode::Pid1, 32, 200, 200},
                                           Shape{Cgroupfs::ReadOnly, Mode::Plain, 32, 200, 200},
                                           Shape{Cgroupfs::Managed, Mode::Pid1, 16, 200, 200},
                                           Shape{Cgroupfs::Managed, Mode::Plain, 16, 200, 200},
                                           Shape{Cgroupfs::Managed, Mode::Pid1, 32, 200, 200},
                                           Shape{Cgroupfs::Managed, Mode::Plain, 32, 200, 200},
                                           Shape{Cgroupfs::Off, Mode::Plain, 16, 200, 0},
                                           Shape{Cgroupfs::ReadOnly, Mode::Pid1, 1024, 1000, 1000},
                                           Shape{Cgroupfs::ReadOnly, Mode::Plain, 1024, 1000, 1000},
                                           Shape{Cgroupfs::Managed, Mode::Plain, 1024, 1000, 1000}),
                         shapeName);

class SecondTermTest : public IntegrationTest, public ::testing::WithParamInterface<Shape> {};

// A second SIGTERM during the grace period ends it, in every backend, also when cginit is short
// of fds (before, a grace timer that could not be armed made the second SIGTERM a no-op).
TEST_P(SecondTermTest, EndsTheGracePeriod) {
  const Shape s = GetParam();
  Sandbox sb;
  const std::string daemonTerms = sb.file("daemon-terms");
  const std::string strangerTerms = sb.file("stranger-terms");
  const std::string pidFile = sb.file("program.pid");
  const std::string go = sb.file("go");
  ASSERT_TRUE(
      sb.start(specFor(s, concat({"-v", "--grace", "60s"},
                                 payload({"daemons-mixed", std::to_string(s.daemons), daemonTerms,
                                          "pidfile", pidFile, "await", go, "exit", "0"})))));
  ASSERT_TRUE(waitForFile(pidFile, 30s)) << sb.stderrText();
  StrangerGroup strangers(sb.pid(), execCgroup(sb, s), s.strangers, strangerTerms);
  ASSERT_EQ(strangers.ready(), s.strangers) << sb.stderrText();
  ASSERT_TRUE(touch(go));
  // The drain has begun once the TERM handlers have run.
  ASSERT_TRUE(waitUntil(
      [&] { return fileSize(daemonTerms) == static_cast<size_t>((s.daemons + 1) / 2); }, 20s))
      << sb.stderrText();
  EXPECT_FALSE(sb.exited()) << "the TERM-ignoring daemons cannot be gone yet";
  const auto t1 = Clock::now();
  ASSERT_TRUE(sb.signal(SIGTERM));
  EXPECT_EQ(sb.wait(15s), ExitStatus::exited(0)) << sb.stderrText();
  EXPECT_LT(Clock::now() - t1, 15s);
  EXPECT_NE(sb.stderrText().find("ending the grace period"), std::string::npos) << sb.stderrText();
}

INSTANTIATE_TEST_SUITE_P(Backends, SecondTermTest,
                         ::testing::Values(Shape{Cgroupfs::ReadOnly, Mode::Pid1, 16, 20, 20},
                                           Shape{Cgroupfs::ReadOnly, Mode::Plain, 16, 20, 20},
                                           Shape{Cgroupfs::Managed, Mode::Pid1, 16, 20, 20},
                                           Shape{Cgroupfs::Managed, Mode::Plain, 16, 20, 20},
                                           Shape{Cgroupfs::Off, Mode::Pid1, 16, 20, 0},
                                           Shape{Cgroupfs::Off, Mode::Plain, 16, 20, 0}),
                         shapeName);

}  // namespace
}  // namespace cginit::it
