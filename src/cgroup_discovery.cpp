// SPDX-License-Identifier: MIT
// Where cginit's own cgroup is (/proc/self/cgroup, the cgroup2 mount) and whether it can manage it.
#include "cginit/cgroup_discovery.h"

#include <fcntl.h>
#include <libcgroup.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cginit/sys.h"

namespace cginit {

// What works on every release first: Docker before 28.0 (Debian 12 ships 20.10) rejects
// writable-cgroups with "invalid --security-opt".
const char* const kWritableHint =
    "give the container a writable cgroup (docker: --privileged --cgroupns=private, or from "
    "Docker 28.0 on --security-opt writable-cgroups=true; podman: --security-opt "
    "unmask=/sys/fs/cgroup, --systemd=always or --privileged), or use --cgroup off";

namespace {

constexpr const char* kOwnCgroupHint =
    "run cginit in a cgroup of its own (a container, a directory you created, or "
    "systemd-run --scope -p Delegate=yes), or use --cgroup off";
constexpr const char* kDefaultMountinfo = "/proc/self/mountinfo";

// libcgroup logs through a printf-style callback; route it to spdlog's debug level (it would
// otherwise print to stdout, which belongs to the program).
__attribute__((format(printf, 3, 0))) void libcgroupLog(void* /*userdata*/, int /*level*/,
                                                        const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  std::string_view text(line);
  while (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  spdlog::debug("libcgroup: {}", text);
}

/// The controllers libcgroup finds mounted (names only), for the "cgroup v1 only" message. Its
/// cgroup_init() reads /proc/cgroups and /proc/mounts; it runs only on this failure path.
std::string mountedControllersByLibcgroup() {
  cgroup_set_logger(&libcgroupLog, CGROUP_LOG_INFO, nullptr);
  if (const int rc = cgroup_init(); rc != 0) {
    spdlog::debug("libcgroup: cgroup_init: {}", cgroup_strerror(rc));
    return {};
  }
  std::vector<std::string> names;
  void* handle = nullptr;
  cgroup_mount_point info{};
  for (int rc = cgroup_get_controller_begin(&handle, &info); rc == 0;
       rc = cgroup_get_controller_next(&handle, &info)) {
    names.emplace_back(info.name);
  }
  cgroup_get_controller_end(&handle);
  return names.empty() ? std::string() : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

OwnCgroup discoverOwnCgroup(const std::string& procSelfCgroup, const std::string& mountinfoPath) {
  OwnCgroup found;
  auto selfText = sys::readFileAt(AT_FDCWD, procSelfCgroup);
  if (!selfText) {
    found.cannotManage = std::move(selfText).error();
    return found;
  }
  auto mountinfo = sys::readFileAt(AT_FDCWD, mountinfoPath);
  if (!mountinfo) {
    found.cannotManage = std::move(mountinfo).error();
    return found;
  }
  auto mount = findCgroup2Mount(*mountinfo);
  auto own = parseProcSelfCgroup(*selfText);
  if (!mount || !own) {
    if (!hasCgroup1Mount(*mountinfo) && !mount) {
      found.cannotManage =
          Error{0, "no cgroup2 filesystem is mounted (mount -t cgroup2 none /sys/fs/cgroup)"};
      return found;
    }
    std::string v1;
    if (mountinfoPath == kDefaultMountinfo) {  // libcgroup sees the real system
      if (const auto names = mountedControllersByLibcgroup(); !names.empty()) {
        v1 = " (libcgroup finds only v1 controllers: " + names + ")";
      }
    }
    found.cannotManage = Error{0, "cgroup v1 only" + v1 +
                                      ": cginit needs the unified cgroup v2 hierarchy (boot the "
                                      "host with systemd.unified_cgroup_hierarchy=1), or use "
                                      "--cgroup off"};
    return found;
  }
  spdlog::debug("own cgroup {}, cgroup2 at {} (root {}{}{})", *own, mount->mountPoint, mount->root,
                mount->readOnly ? ", ro" : "", mount->nsdelegate ? ", nsdelegate" : "");
  auto dir = cgroupDirectory(*mount, *own);
  found.mount = *mount;
  if (dir) {
    found.directory = *dir;
  }
  if (mount->readOnly) {
    found.cannotManage = Error{EROFS, fmt::format("the cgroup filesystem at {} is mounted "
                                                  "read-only: {}",
                                                  mount->mountPoint, kWritableHint)};
  } else if (!dir) {
    found.cannotManage = std::move(dir).error();
  }
  return found;
}

Status checkManageable(const Cgroup& root) {
  if (!root.hasFile("cgroup.events")) {
    return Error{0, fmt::format("{} is the root of the cgroup hierarchy (no cgroup.events): {}",
                                root.path(), kOwnCgroupHint)};
  }
  return {};
}

Error explainNotWritable(const Cgroup& root, Error error) {
  if (error.code == EACCES || error.code == EPERM || error.code == EROFS) {
    error.message =
        fmt::format("{} is not writable ({}): {}", root.path(), error.message,
                    error.code == EROFS ? kWritableHint : "the cgroup must be delegated to cginit");
  }
  return error;
}

}  // namespace cginit
