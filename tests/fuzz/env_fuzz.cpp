// SPDX-License-Identifier: MIT
// libFuzzer target: the environment. Each input line is NAME=VALUE (a line without '=' sets NAME
// to the empty string); later lines win.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "cginit/env.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<std::string, std::string> vars;
  for (const std::string& line : cginit::fuzz::splitWords(cginit::fuzz::asText(data, size))) {
    const auto eq = line.find('=');
    vars[line.substr(0, eq)] = eq == std::string::npos ? std::string() : line.substr(eq + 1);
  }
  const cginit::EnvLookup lookup = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  auto result = cginit::parseEnvironment(lookup);
  if (!result) {
    return 0;
  }
  if (result->configPath && result->configPath->empty()) {
    __builtin_trap();  // an empty CGINIT_CONFIG counts as unset
  }
  cginit::fuzz::checkPrintConfigRoundTrip(result->layer);
  return 0;
}
