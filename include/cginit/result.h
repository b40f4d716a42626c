// SPDX-License-Identifier: MIT
// Error values that carry an errno and a context chain, and an expected-like Result<T>.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "cginit/text.h"

namespace cginit {

/// A failure: `code` is the errno (0 when it is not a system error) and `message` already names the
/// call, the object and the errno text, e.g. "mkdirat workload: Permission denied".
struct Error {
  int code = 0;
  std::string message;
  bool usage = false;  // bad input or an unmet requirement the user asked for: exit 2, not 1

  /// Prefixes one layer of context: "creating workload cgroup: mkdirat workload: ...".
  Error&& context(std::string_view what) && {
    message.insert(0, std::string(what) + ": ");
    return std::move(*this);
  }
  Error context(std::string_view what) const& { return Error(*this).context(what); }
};

/// Builds an Error from errno. Call it right after the failing call: it reads errno first.
/// Control characters in `object` (a file name from outside) are escaped (text.h).
inline Error sysError(std::string_view call, std::string_view object = {}) {
  const int err = errno;
  std::string msg(call);
  if (!object.empty()) {
    msg += ' ';
    msg += escaped(object);
  }
  msg += ": ";
  msg += std::strerror(err);
  return Error{err, std::move(msg)};
}

/// Same as sysError() for an errno value that did not come from errno (e.g. pthread, exec pipe).
inline Error errnoError(int err, std::string_view call, std::string_view object = {}) {
  errno = err;
  return sysError(call, object);
}

/// An Error for invalid input (code 0).
inline Error usageError(std::string message) {
  return Error{0, std::move(message), true};
}

/// A subset of C++23 std::expected<T, Error>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit, like std::expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  Error& error() & { return error_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cginit
