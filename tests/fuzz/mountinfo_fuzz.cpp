// SPDX-License-Identifier: MIT
// libFuzzer target: /proc/self/mountinfo (the last cgroup2 mount, cgroup v1 mounts, escapes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "cginit/cgroup_paths.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = cginit::fuzz::asText(data, size);
  (void)cginit::hasCgroup1Mount(text);
  // Decoding never makes a field longer.
  if (cginit::unescapeMountField(text).size() > text.size()) {
    __builtin_trap();
  }
  auto mount = cginit::findCgroup2Mount(text);
  if (!mount) {
    return 0;
  }
  // The cgroup that the mount shows at its mount point is the mount point itself.
  auto dir = cginit::cgroupDirectory(*mount, mount->root);
  if (dir && dir->rfind(mount->mountPoint, 0) != 0) {
    __builtin_trap();
  }
  (void)cginit::cgroupDirectory(*mount, "/a/b");
  return 0;
}
