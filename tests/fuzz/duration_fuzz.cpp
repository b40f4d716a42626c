// SPDX-License-Identifier: MIT
// libFuzzer target: durations, and formatDuration() reading back exactly.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "cginit/duration.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto duration = cginit::parseDuration(cginit::fuzz::asText(data, size));
  if (!duration) {
    return 0;
  }
  if (duration->count() < 0 || *duration > std::chrono::hours(24)) {
    __builtin_trap();
  }
  auto again = cginit::parseDuration(cginit::formatDuration(*duration));
  if (!again || *again != *duration) {
    __builtin_trap();
  }
  return 0;
}
