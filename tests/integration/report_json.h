// SPDX-License-Identifier: MIT
// A tiny JSON reader for cginit's exit report (--report): objects, arrays, strings, numbers.
#pragma once

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cginit::it {

/// One JSON value. Objects keep their members in order (duplicates are a parse error).
struct Json {
  enum class Kind { Null, Bool, Number, String, Object, Array };
  Kind kind = Kind::Null;
  bool boolean = false;
  long long integer = 0;  // numbers: only integers occur in the report
  std::string text;
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> items;

  /// The member `key` of an object, or nullptr.
  const Json* find(std::string_view key) const {
    for (const auto& [name, value] : members) {
      if (name == key) {
        return &value;
      }
    }
    return nullptr;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  bool isNull(std::string_view key) const {
    const Json* v = find(key);
    return v != nullptr && v->kind == Kind::Null;
  }
  /// An integer member, or nullopt when missing or not a number.
  std::optional<long long> integerAt(std::string_view key) const {
    const Json* v = find(key);
    return v != nullptr && v->kind == Kind::Number ? std::optional(v->integer) : std::nullopt;
  }
  /// A string member, or nullopt when missing or not a string.
  std::optional<std::string> stringAt(std::string_view key) const {
    const Json* v = find(key);
    return v != nullptr && v->kind == Kind::String ? std::optional(v->text) : std::nullopt;
  }
};

namespace json_detail {

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  std::optional<Json> document() {
    auto value = parseValue(0);
    skipSpace();
    if (!value || pos_ != in_.size()) {
      return std::nullopt;
    }
    return value;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;

  void skipSpace() {
    while (pos_ < in_.size() && std::isspace(static_cast<unsigned char>(in_[pos_])) != 0) {
      ++pos_;
    }
  }
  bool eat(char c) {
    skipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (in_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }

  std::optional<std::string> parseString() {
    if (!eat('"')) {
      return std::nullopt;
    }
    std::string out;
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') {
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) {
        return std::nullopt;
      }
      const char e = in_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {  // the report escapes only control characters: one byte is enough
          unsigned code = 0;
          const auto* begin = in_.data() + pos_;
          if (pos_ + 4 > in_.size() ||
              std::from_chars(begin, begin + 4, code, 16).ptr != begin + 4 || code > 0x7f) {
            return std::nullopt;
          }
          out += static_cast<char>(code);
          pos_ += 4;
          break;
        }
        default:
          out += e;  // \" \\ \/
      }
    }
    return std::nullopt;
  }

  std::optional<Json> parseValue(int depth) {
    if (depth > 16) {
      return std::nullopt;
    }
    skipSpace();
    if (pos_ >= in_.size()) {
      return std::nullopt;
    }
    Json v;
    const char c = in_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::Object;
      ++pos_;
      if (eat('}')) {
        return v;
      }
      do {
        auto key = parseString();
        if (!key || v.has(*key) || !eat(':')) {
          return std::nullopt;
        }
        auto member = parseValue(depth + 1);
        if (!member) {
          return std::nullopt;
        }
        v.members.emplace_back(std::move(*key), std::move(*member));
      } while (eat(','));
      return eat('}') ? std::optional(std::move(v)) : std::nullopt;
    }
    if (c == '[') {
      v.kind = Json::Kind::Array;
      ++pos_;
      if (eat(']')) {
        return v;
      }
      do {
        auto item = parseValue(depth + 1);
        if (!item) {
          return std::nullopt;
        }
        v.items.push_back(std::move(*item));
      } while (eat(','));
      return eat(']') ? std::optional(std::move(v)) : std::nullopt;
    }
    if (c == '"') {
      auto s = parseString();
      if (!s) {
        return std::nullopt;
      }
      v.kind = Json::Kind::String;
      v.text = std::move(*s);
      return v;
    }
    if (word("null")) {
      return v;
    }
    if (word("true") || word("false")) {
      v.kind = Json::Kind::Bool;
      v.boolean = in_[pos_ - 1] == 'e' && in_[pos_ - 2] == 'u';  // "true", not "false"
      return v;
    }
    const auto* begin = in_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(begin, in_.data() + in_.size(), v.integer);
    if (ec != std::errc() || ptr == begin) {
      return std::nullopt;
    }
    pos_ += static_cast<size_t>(ptr - begin);
    v.kind = Json::Kind::Number;
    return v;
  }
};

}  // namespace json_detail

/// Parses a whole JSON document (surrounding whitespace allowed); nullopt when it is invalid.
inline std::optional<Json> parseJson(std::string_view text) {
  return json_detail::Parser(text).document();
}

}  // namespace cginit::it
