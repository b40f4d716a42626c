// SPDX-License-Identifier: MIT
// libFuzzer target: /proc/self/cgroup, and the cgroup directory made from its path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cginit/cgroup_paths.h"

#include "fuzz_util.h"

namespace {

/// Whether `path` has the shape the kernel writes: "/" or "/"-separated names, where only a
/// leading run of ".." components (a cgroup outside our cgroup namespace) is allowed; never "."
/// or an empty component.
bool kernelShaped(std::string_view path) {
  bool leading = true;
  size_t start = 1;
  while (start < path.size()) {
    const auto slash = path.find('/', start);
    const auto name = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (name.empty() || name == "." || (name == ".." && !leading)) {
      return false;
    }
    leading = leading && name == "..";
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return path == "/" || path.back() != '/';
}

/// Whether `path` has a ".." component, which would lead out of the cgroup2 mount.
bool hasDotDot(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    if (path.substr(start, slash == std::string_view::npos ? slash : slash - start) == "..") {
      return true;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto path = cginit::parseProcSelfCgroup(cginit::fuzz::asText(data, size));
  if (!path) {
    return 0;
  }
  if (path->empty() || path->front() != '/' || path->find('\n') != std::string::npos) {
    __builtin_trap();
  }
  // Non-canonical paths ("/./..", "//..", "/ctr/..") are not checked: the kernel never writes
  // them, and cgroupDirectory() does not resolve them.
  if (!kernelShaped(*path)) {
    return 0;
  }
  // The path is relative to the cgroup namespace; a mount that shows the namespace root, and
  // one that shows a sub-cgroup (a container that bind-mounts only its own cgroup).
  for (const cginit::Cgroup2Mount& mount :
       {cginit::Cgroup2Mount{"/sys/fs/cgroup", "/", false, false},
        cginit::Cgroup2Mount{"/sys/fs/cgroup", "/ctr", false, true}}) {
    auto dir = cginit::cgroupDirectory(mount, *path);
    if (!dir) {
      continue;
    }
    if (dir->rfind(mount.mountPoint, 0) != 0 || hasDotDot(*dir)) {
      __builtin_trap();  // never a directory outside the mount
    }
  }
  return 0;
}
