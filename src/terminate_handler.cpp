// SPDX-License-Identifier: MIT
// cginit's std::terminate handler, in place of libstdc++'s verbose one.
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "cginit/sys.h"

namespace {

/// Says what ended cginit, then aborts, allocating nothing (it may be std::bad_alloc).
/// libstdc++'s default handler names the exception's type through the C++ demangler, which
/// alone is about 50 KB of the static binary.
[[noreturn]] void onTerminate() noexcept {
  std::string_view reason = "no exception is active";
  // `active` keeps the exception, and so the text that what() returns, alive until abort().
  const std::exception_ptr active = std::current_exception();
  if (active) {
    try {
      std::rethrow_exception(active);
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
      reason = "an exception that is not a std::exception";
    }
  }
  std::array<char, 512> line{};
  char* end = fmt::format_to_n(line.data(), line.size() - 1,
                               "[cginit] [critical] terminate called: {}", reason)
                  .out;
  *end++ = '\n';
  (void)cginit::sys::writeAll(
      STDERR_FILENO, std::string_view(line.data(), static_cast<size_t>(end - line.data())));
  std::abort();
}

}  // namespace

// libstdc++ keeps its default terminate handler in an archive member of its own
// (eh_term_handler.o) so that a program can define it instead; then the static link leaves the
// verbose handler and the demangler out. Only the binary links this file, not the tests.
namespace __cxxabiv1 {
// The name is libstdc++'s own: defining it is the point.
std::terminate_handler __terminate_handler = onTerminate;  // NOLINT(bugprone-reserved-identifier)
}  // namespace __cxxabiv1
