// SPDX-License-Identifier: MIT
// libFuzzer target: cgroup.procs (one pid a line) and controller lists.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cginit/cgroup_paths.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = cginit::fuzz::asText(data, size);
  auto pids = cginit::parsePidList(text);
  if (pids) {
    for (const pid_t pid : *pids) {
      if (pid <= 0) {
        __builtin_trap();
      }
    }
  }
  for (const std::string& controller : cginit::parseControllerList(text)) {
    if (controller.empty() || controller.find_first_of(" \n") != std::string::npos) {
      __builtin_trap();
    }
  }
  return 0;
}
