// SPDX-License-Identifier: MIT
// The workaround for toml++'s undefined behaviour on some non-ASCII characters; pure, no toml++.
#include "toml_non_ascii.h"

#include <string>

namespace cginit {
namespace {

/// Finds where toml++ 3.3 would test a non-ASCII character for being whitespace, which is
/// undefined behaviour for many of them (U+00A7 and most of U+00A1..U+0499;
/// marzer/tomlplusplus#190, #295): anywhere outside strings and comments, where TOML allows only
/// ASCII, and in a multi-line basic string right after a backslash or after the blanks that
/// follow a line-ending backslash. Tracks just enough of TOML to know where strings are: a quote
/// inside a number, boolean or date ("5\"x") is no string to toml++, which reads on to the end.
class NonAsciiScanner {
 public:
  explicit NonAsciiScanner(std::string_view text) : text_(text) {}

  /// The byte offset of the first such character; a BOM at the start (toml++ skips it) is fine.
  std::optional<size_t> find() {
    for (size_t i = text_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; i < text_.size(); ++i) {
      const char c = text_[i];
      if (in_ == In::Code) {
        if (nonAscii(i)) {
          return i;
        }
        code(i);
      } else if (in_ == In::MultiBasic || in_ == In::MultiLiteral) {
        if (auto at = multiLine(i)) {
          return at;
        }
      } else if (c == '\n' || (in_ == In::Basic && c == '"') || (in_ == In::Literal && c == '\'')) {
        in_ = In::Code;
        if (c == '\n') {
          code(i);
        }
      } else if (in_ == In::Basic && c == '\\') {
        ++i;  // an escaped character, possibly a quote
      }
    }
    return std::nullopt;
  }

 private:
  enum class In { Code, Comment, Basic, Literal, MultiBasic, MultiLiteral };

  bool nonAscii(size_t i) const {
    return i < text_.size() && static_cast<unsigned char>(text_[i]) >= 0x80;
  }
  size_t quotesAt(size_t i, char quote) const {
    size_t n = 0;
    while (i + n < text_.size() && text_[i + n] == quote) {
      ++n;
    }
    return n;
  }

  /// One ASCII character outside strings and comments.
  void code(size_t& i) {
    const char c = text_[i];
    if (bareValue_ && std::string_view(" \t\r\n]},#").find(c) == std::string_view::npos) {
      return;
    }
    bareValue_ = false;
    const char container = containers_.empty() ? '\0' : containers_.back();
    if (c == '#') {
      in_ = In::Comment;
    } else if (c == '\n' && container == '\0') {
      key_ = true;  // the next line starts with a key or a table header
    } else if (c == '=') {
      key_ = false;
    } else if (c == ',') {
      key_ = container == '{';
    } else if ((c == '[' || c == '{') && !key_) {
      containers_ += c;
      key_ = c == '{';
    } else if ((c == ']' && container == '[') || (c == '}' && container == '{')) {
      containers_.pop_back();
      key_ = false;
    } else if (c == '"' || c == '\'') {
      const bool multi = quotesAt(i, c) >= 3;
      in_ = c == '"' ? (multi ? In::MultiBasic : In::Basic)
                     : (multi ? In::MultiLiteral : In::Literal);
      i += multi ? 2 : 0;
    } else if (!key_ && std::string_view(" \t\r\n]}").find(c) == std::string_view::npos) {
      bareValue_ = true;
    }
  }

  /// One character of a multi-line string; the offset of a character toml++ cannot read.
  std::optional<size_t> multiLine(size_t& i) {
    if (in_ == In::MultiBasic && text_[i] == '\\') {
      if (nonAscii(i + 1)) {
        return i + 1;
      }
      if (i + 1 < text_.size() &&
          std::string_view(" \t\r\n").find(text_[i + 1]) != std::string_view::npos) {
        // A line-ending backslash: toml++ skips blanks and line breaks, testing the first other
        // character for being a blank; that one is then read as usual.
        const size_t next = text_.find_first_not_of(" \t\r\n", i + 1);
        if (nonAscii(next)) {
          return next;
        }
        i = next == std::string_view::npos ? text_.size() : next - 1;
      } else {
        ++i;  // an escaped character, possibly a quote
      }
    } else if (const size_t n = quotesAt(i, in_ == In::MultiBasic ? '"' : '\''); n >= 3) {
      in_ = In::Code;  // up to two more quotes belong to the string
      i += n - 1;
    }
    return std::nullopt;
  }

  std::string_view text_;
  In in_ = In::Code;
  bool key_ = true;         // a key comes next, else a value
  bool bareValue_ = false;  // inside a number, boolean or date
  std::string containers_;  // the '[' and '{' of the arrays and inline tables around
};

}  // namespace

std::optional<size_t> findNonAsciiTomlCannotRead(std::string_view text) {
  return NonAsciiScanner(text).find();
}

}  // namespace cginit
