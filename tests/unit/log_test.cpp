// SPDX-License-Identifier: MIT
// Tests of the logger set-up: the "[cginit] [level] message" lines on stderr and the level.
#include "cginit/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "cginit/unique_fd.h"

namespace cginit {
namespace {

/// Points fd 2 at a pipe until text() or the destructor puts the old stderr back; keeps the
/// global log level as it found it.
class StderrCapture {
 public:
  StderrCapture() : level_(spdlog::get_level()) {
    std::array<int, 2> fds{};
    EXPECT_EQ(pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK), 0);
    reader_.reset(fds[0]);
    const UniqueFd writer(fds[1]);
    EXPECT_GE(dup2(writer.get(), STDERR_FILENO), 0);
  }
  ~StderrCapture() {
    restore();
    spdlog::set_level(level_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  /// Everything written to stderr since the constructor.
  std::string text() {
    restore();
    std::string out;
    std::array<char, 4096> buffer{};
    for (ssize_t n; (n = read(reader_.get(), buffer.data(), buffer.size())) > 0;) {
      out.append(buffer.data(), static_cast<size_t>(n));
    }
    return out;
  }

 private:
  void restore() {
    if (saved_) {
      EXPECT_GE(dup2(saved_.get(), STDERR_FILENO), 0);
      saved_.reset();
    }
  }

  spdlog::level::level_enum level_;
  UniqueFd saved_{fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0)};
  UniqueFd reader_;
};

TEST(LogTest, WritesPrefixLevelAndMessageOnStderr) {
  StderrCapture capture;
  initLogging(Verbosity::Info);
  spdlog::info("started {} as pid {}", "/bin/true", 42);
  spdlog::warn("pids.max reached");
  spdlog::error("exec {}: {}", "/x", "No such file or directory");
  EXPECT_EQ(capture.text(),
            "[cginit] [info] started /bin/true as pid 42\n"
            "[cginit] [warning] pids.max reached\n"
            "[cginit] [error] exec /x: No such file or directory\n");
}

TEST(LogTest, DropsMessagesBelowTheVerbosity) {
  StderrCapture capture;
  initLogging(Verbosity::Warn);
  spdlog::info("not shown");
  spdlog::debug("not shown");
  spdlog::warn("shown");
  EXPECT_EQ(capture.text(), "[cginit] [warning] shown\n");
}

// main() sets up logging twice (before and after reading the settings): still one line each.
TEST(LogTest, SecondSetUpOnlyChangesTheLevel) {
  StderrCapture capture;
  initLogging(Verbosity::Warn);
  initLogging(Verbosity::Trace);
  spdlog::trace("event loop woke up with {} event(s)", 2);
  EXPECT_EQ(capture.text(), "[cginit] [trace] event loop woke up with 2 event(s)\n");
}

}  // namespace
}  // namespace cginit
