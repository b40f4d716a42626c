// SPDX-License-Identifier: MIT
// Entry point (placeholder).
#include <cstdio>

#include "cginit/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto cli = cginit::parseCommandLine(args);
  if (!cli) {
    std::fprintf(stderr, "[cginit] [error] %s\n", cli.error().message.c_str());
    return 2;
  }
  return 0;
}
