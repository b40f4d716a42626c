// SPDX-License-Identifier: MIT
// libFuzzer target: the TOML configuration file, and --print-config reading back what it read.
#include <cstddef>
#include <cstdint>

#include "cginit/config_file.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto layer = cginit::parseConfig(cginit::fuzz::asText(data, size), "fuzz.toml");
  if (!layer) {
    // Every error names the file, line and column.
    if (layer.error().message.rfind("fuzz.toml:", 0) != 0) {
      __builtin_trap();
    }
    return 0;
  }
  cginit::fuzz::checkPrintConfigRoundTrip(*layer);
  return 0;
}
