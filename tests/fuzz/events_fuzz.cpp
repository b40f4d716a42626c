// SPDX-License-Identifier: MIT
// libFuzzer target: "key value" files (cgroup.events, pids.events, memory.events).
#include <cstddef>
#include <cstdint>

#include "cginit/cgroup_paths.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto values = cginit::parseKeyValues(cginit::fuzz::asText(data, size));
  if (!values) {
    return 0;
  }
  for (const auto& [key, value] : *values) {
    if (key.empty() || key.find_first_of(" \n") != std::string::npos) {
      __builtin_trap();
    }
  }
  return 0;
}
