// SPDX-License-Identifier: MIT
// An owning, move-only file descriptor.
#include "cginit/unique_fd.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace cginit {

void UniqueFd::reset(int fd) {
  const int old = std::exchange(fd_, fd);
  if (old >= 0 && ::close(old) < 0) {
    spdlog::debug("close fd {}: {}", old, std::strerror(errno));
  }
}

}  // namespace cginit
