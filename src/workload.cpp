// SPDX-License-Identifier: MIT
// What every workload backend shares: the watched event counter, forwarding to the program.
#include "cginit/workload.h"

#include <cerrno>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "cginit/cgroup_discovery.h"
#include "cginit/cgroup_paths.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"

#include "workload_backends.h"

namespace cginit {

namespace backend {

EventCounter::EventCounter(const Cgroup& cg, const std::string& file, std::string key)
    : path_(cg.path() + "/" + file), key_(std::move(key)) {
  if (!cg.hasFile(file)) {
    return;
  }
  auto fd = cg.openFile(file);
  if (!fd) {
    spdlog::warn("{}; not watching it", fd.error().message);
    return;
  }
  fd_ = std::move(*fd);
  if (auto v = read(); v) {
    last_ = *v;
  }
}

Result<uint64_t> EventCounter::read() {
  auto kv = readKeyValuesFd(fd_.get());
  if (!kv) {
    if (!std::exchange(failedWarned_, true)) {
      spdlog::warn("reading {}: {}; no longer reading it", path_, kv.error().message);
    }
    return std::move(kv).error();
  }
  const auto it = kv->find(key_);
  return it == kv->end() ? uint64_t{0} : it->second;
}

Result<std::optional<uint64_t>> EventCounter::rose() {
  auto v = read();
  if (!v) {
    return std::move(v).error();
  }
  if (*v <= last_) {
    return std::optional<uint64_t>{};
  }
  last_ = *v;
  return std::optional<uint64_t>(*v);
}

std::optional<uint64_t> EventCounter::value() {
  if (!fd_) {
    return std::nullopt;
  }
  auto v = read();
  return v ? std::optional<uint64_t>(*v) : std::nullopt;
}

bool RateLimit::allow() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::seconds(1)) {
    return false;
  }
  last_ = now;
  return true;
}

}  // namespace backend

std::optional<Cgroup> openObservedCgroup() {
  const OwnCgroup own = discoverOwnCgroup();
  if (!own.directory) {
    return std::nullopt;
  }
  auto cg = Cgroup::open(*own.directory);
  if (!cg) {
    spdlog::debug("not observing a cgroup: {}", cg.error().message);
    return std::nullopt;
  }
  // Never the root of the whole hierarchy: its cgroup.procs lists every process of the machine.
  if (auto st = checkManageable(*cg); !st) {
    spdlog::debug("not observing a cgroup: {}", st.error().message);
    return std::nullopt;
  }
  return std::move(*cg);
}

void forwardToProgram(const Child& child, int signo) {
  Status st =
      child.pidfd ? sys::pidfdSendSignal(child.pidfd.get(), signo) : sys::kill(child.pid, signo);
  if (!st) {
    if (st.error().code == ESRCH) {
      spdlog::warn("the program was gone when forwarding {}", signalName(signo));
    } else {
      spdlog::error("forwarding {} to pid {}: {}", signalName(signo), child.pid,
                    st.error().message);
    }
  }
}

void forwardToGroup(pid_t pgid, int signo) {
  if (auto st = sys::kill(-pgid, signo); !st) {
    if (st.error().code == ESRCH) {
      spdlog::warn("the program's process group was gone when forwarding {}", signalName(signo));
    } else {
      spdlog::error(
          "{}",
          errnoError(st.error().code, "kill", "process group " + std::to_string(pgid)).message);
    }
  }
}

}  // namespace cginit
