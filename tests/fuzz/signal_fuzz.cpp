// SPDX-License-Identifier: MIT
// libFuzzer target: signal names and numbers, and signalName() reading back.
#include <signal.h>

#include <cstddef>
#include <cstdint>

#include "cginit/signal_names.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto signo = cginit::parseSignal(cginit::fuzz::asText(data, size));
  if (!signo) {
    return 0;
  }
  if (*signo < 1 || *signo > SIGRTMAX) {
    __builtin_trap();
  }
  auto again = cginit::parseSignal(cginit::signalName(*signo));
  if (!again || *again != *signo) {
    __builtin_trap();
  }
  return 0;
}
