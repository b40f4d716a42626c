// SPDX-License-Identifier: MIT
// Helpers for cgroup tests: temp dirs, real test cgroups (RAII), child processes, log capture.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <linux/magic.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "cginit/cgroup.h"
#include "cginit/sys.h"
#include "cginit/unique_fd.h"

namespace cginit::test {

inline std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

inline bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

/// The processes listed in `dir`/cgroup.procs (empty when it cannot be read).
inline std::vector<pid_t> procsOf(const std::string& dir) {
  auto cg = Cgroup::open(dir);
  if (!cg) {
    return {};
  }
  auto list = cg->procs();
  return list ? *list : std::vector<pid_t>{};
}

inline UniqueFd openDir(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

/// Routes spdlog to a string for the lifetime of the object, then restores the default logger.
class LogCapture {
 public:
  LogCapture() : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    logger->set_pattern("[%l] %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(saved_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return out_.str(); }
  size_t count(std::string_view needle) const {
    const std::string s = out_.str();
    size_t n = 0;
    for (auto pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) {
      ++n;
    }
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> saved_;
  std::ostringstream out_;
};

/// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cginit-cgroup-test-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    path_ = dir != nullptr ? dir : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Makes `dir` look like a cgroup to the logic under test: the interface files as plain files.
inline void makeFakeCgroup(const std::string& dir, const std::string& controllers = "") {
  std::filesystem::create_directories(dir);
  writeText(dir + "/cgroup.events", "populated 0\nfrozen 0\n");
  writeText(dir + "/cgroup.procs", "");
  writeText(dir + "/cgroup.controllers", controllers + "\n");
  writeText(dir + "/cgroup.subtree_control", "\n");
  writeText(dir + "/cgroup.max.descendants", "");
}

/// A forked child that waits in pause() with default signal handling; killed and reaped on
/// destruction if it is still there.
class ChildProcess {
 public:
  ChildProcess() {
    pid_ = ::fork();
    if (pid_ == 0) {
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGUSR1, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      for (;;) {
        ::pause();
      }
    }
    if (pid_ > 0) {
      if (auto fd = sys::pidfdOpen(pid_)) {
        pidfd_ = std::move(*fd);
      }
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  /// Waits up to `timeout` for the child to end; returns its wait status, or -1.
  int waitForExit(std::chrono::milliseconds timeout) {
    pollfd pfd{pidfd_.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) {
      return -1;
    }
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) {
      return -1;
    }
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

/// The cgroup2 hierarchy to create test cgroups in, or empty when there is none we may use.
inline std::string cgroup2Base() {
  for (const char* base : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct statfs st {};
    if (::statfs(base, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) {
      return base;
    }
  }
  return {};
}

/// rmdir of `path` and, depth first, the cgroups below it; a failure is a test failure.
inline void removeCgroupDir(const std::string& path) {
  if (DIR* dir = ::opendir(path.c_str())) {
    std::vector<std::string> subs;
    while (const dirent* ent = ::readdir(dir)) {
      const std::string name = ent->d_name;
      if (ent->d_type == DT_DIR && name != "." && name != "..") {
        subs.push_back(path + "/" + name);
      }
    }
    ::closedir(dir);
    for (const auto& sub : subs) {
      removeCgroupDir(sub);
    }
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    ADD_FAILURE() << "rmdir " << path << ": " << std::strerror(errno);
  }
}

/// A fresh cgroup under the cgroup2 hierarchy, removed (with its sub-cgroups) at the end.
class TestCgroup {
 public:
  TestCgroup(const std::string& base, const std::string& tag) {
    static int counter = 0;
    path_ = base + "/cginit-test-" + std::to_string(::getpid()) + "-" + tag + "-" +
            std::to_string(++counter);
    if (::mkdir(path_.c_str(), 0755) != 0) {
      ADD_FAILURE() << "mkdir " << path_ << ": " << std::strerror(errno);
      path_.clear();
    }
  }
  ~TestCgroup() {
    if (!path_.empty()) {
      removeCgroupDir(path_);
    }
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cginit::test
