// SPDX-License-Identifier: MIT
// libFuzzer target: the command line. The input, split at NUL or newline, is argv after "cginit".
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cginit/cli.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> argv = {"cginit"};
  for (std::string& word : cginit::fuzz::splitWords(cginit::fuzz::asText(data, size))) {
    argv.push_back(std::move(word));
  }
  auto result = cginit::parseCommandLine(argv);
  if (!result) {
    return 0;
  }
  // A program is run exactly when the action is Run, and then it has a name.
  if ((result->action == cginit::Action::Run) == result->programArgv.empty()) {
    __builtin_trap();
  }
  cginit::fuzz::checkPrintConfigRoundTrip(result->layer);
  return 0;
}
