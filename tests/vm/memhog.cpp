// SPDX-License-Identifier: MIT
// VM tier helper: `memhog MIB` allocates and touches MIB mebibytes, then waits to be killed.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: memhog MIB\n", stderr);
    return 100;
  }
  const std::string_view arg(argv[1]);
  unsigned long mib = 0;
  const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), mib);
  if (ec != std::errc() || end != arg.data() + arg.size()) {
    std::fputs("memhog: MIB must be a number\n", stderr);
    return 100;
  }
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  constexpr std::size_t kPage = 4096;
  for (unsigned long i = 0; i < mib; ++i) {
    // Never freed: the memory must stay charged to the cgroup. Writing through a volatile pointer
    // keeps the compiler from dropping the allocation.
    auto* chunk = static_cast<volatile char*>(std::malloc(kChunk));
    if (chunk == nullptr) {
      std::fputs("memhog: out of memory\n", stderr);
      return 101;
    }
    for (std::size_t off = 0; off < kChunk; off += kPage) {
      chunk[off] = 1;
    }
  }
  std::printf("memhog: %lu MiB allocated\n", mib);
  std::fflush(stdout);
  for (;;) {
    pause();
  }
}
