// SPDX-License-Identifier: MIT
// Reaping every exited child, listing cginit's children, and decoding wait statuses.
#include "cginit/reaper.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "cginit/sys.h"

namespace cginit {

Result<bool> reapAll(const std::function<void(pid_t, int)>& onReaped) {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      onReaped(pid, status);
      continue;
    }
    if (pid == 0) {
      return false;  // children are left, none has exited yet
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == ECHILD) {
      return true;
    }
    return sysError("waitpid");
  }
}

Result<std::vector<pid_t>> parseChildList(std::string_view text) {
  std::vector<pid_t> pids;
  while (!text.empty()) {
    const auto end = text.find_first_of(" \n");
    const std::string_view word = text.substr(0, end);
    if (!word.empty()) {
      pid_t pid = 0;
      const auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), pid);
      if (ec != std::errc() || ptr != word.data() + word.size() || pid <= 0) {
        return Error{0, "invalid pid '" + std::string(word) + "' in a children list"};
      }
      pids.push_back(pid);
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return pids;
}

Result<std::vector<pid_t>> listChildren() {
  auto text = sys::readFileAt(AT_FDCWD, "/proc/thread-self/children");
  if (!text) {
    return std::move(text).error();
  }
  return parseChildList(*text);
}

int exitCodeFromStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 1;
}

}  // namespace cginit
