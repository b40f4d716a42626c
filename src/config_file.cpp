// SPDX-License-Identifier: MIT
// The TOML configuration file to an OptionsLayer, and Options back to TOML. The only user of
// toml++.
#include "cginit/config_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
// toml++ 3.3 asserts on some malformed files ("[)", "a = [}") that its parser goes on to report
// as a syntax error (marzer/tomlplusplus#301); a typo in the configuration must give exit 2 and a
// message, never an abort. So the parser is compiled here, even where Debian's .so (built with
// assertions) is linked, with the checks off as in toml++'s own NDEBUG builds.
#ifndef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#endif
#define TOML_ASSERT(expr) static_assert(true)
// Floats through std::from_chars instead of a std::stringstream (toml++ assumes GCC lacks it; GCC
// 11+ has it), which keeps iostreams and std::locale out of the static binary.
#define TOML_FLOAT_CHARCONV 1
#include <toml++/toml.h>

#include "cginit/duration.h"
#include "cginit/log.h"
#include "cginit/signal_names.h"
#include "cginit/unique_fd.h"

namespace cginit {
namespace {

/// Larger files are a mistake such as `--config /dev/zero`, not a configuration.
constexpr size_t kMaxFileSize = 1024 * 1024;

/// Turns messages into "PATH:LINE:COL: KEY: message" for the file being parsed.
class Context {
 public:
  explicit Context(std::string_view path) : path_(path) {}

  Error at(const toml::source_region& where, std::string_view message) const {
    return usageError(
        fmt::format("{}:{}:{}: {}", path_, where.begin.line, where.begin.column, message));
  }
  Error at(const toml::source_region& where, std::string_view key, std::string_view message) const {
    return at(where, fmt::format("{}: {}", key, message));
  }

 private:
  std::string_view path_;
};

std::string_view typeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Error typeError(const Context& c, std::string_view key, const toml::node& node,
                std::string_view expected) {
  return c.at(node.source(), key, fmt::format("expected {}, got {}", expected, typeName(node)));
}

/// A table's entries in the order they appear in the file (toml::table is sorted by key), so
/// that the first error reported is the first one in the file and limits keep their order.
std::vector<std::pair<const toml::key*, const toml::node*>> inFileOrder(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (const auto& [key, node] : table) {
    out.emplace_back(&key, &node);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const toml::source_position& x = a.first->source().begin;
    const toml::source_position& y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  return out;
}

Result<bool> boolean(const Context& c, std::string_view key, const toml::node& node) {
  if (const auto* v = node.as_boolean()) {
    return v->get();
  }
  return typeError(c, key, node, "a boolean");
}

Result<std::string> string(const Context& c, std::string_view key, const toml::node& node) {
  if (const auto* v = node.as_string()) {
    return v->get();
  }
  return typeError(c, key, node, "a string");
}

/// A string, or an integer as its decimal digits: the file accepts `pdeathsig = 9` as well as
/// `pdeathsig = "SIGKILL"`, and `grace = 10` as ten seconds, like the command line.
Result<std::string> stringOrInteger(const Context& c, std::string_view key,
                                    const toml::node& node) {
  if (const auto* v = node.as_string()) {
    return v->get();
  }
  if (const auto* v = node.as_integer()) {
    return std::to_string(v->get());
  }
  return typeError(c, key, node, "a string or an integer");
}

/// Reads the value as text and stores what `parse` makes of it, or an Error at the value.
template <typename T, typename Parse>
Status parsed(const Context& c, std::string_view key, const toml::node& node, bool allowInteger,
              Parse parse, std::optional<T>& slot) {
  auto text = allowInteger ? stringOrInteger(c, key, node) : string(c, key, node);
  if (!text) {
    return std::move(text).error();
  }
  Result<T> value = parse(*text);
  if (!value) {
    return c.at(node.source(), key, value.error().message);
  }
  slot = std::move(value).value();
  return {};
}

Status flag(const Context& c, std::string_view key, const toml::node& node,
            std::optional<bool>& slot) {
  auto value = boolean(c, key, node);
  if (!value) {
    return std::move(value).error();
  }
  slot = *value;
  return {};
}

Result<Verbosity> verbosityValue(std::string_view text) {
  if (auto v = parseVerbosity(text)) {
    return *v;
  }
  return usageError(
      fmt::format("invalid verbosity '{}' (expected error, warn, info, debug or trace)", text));
}

Result<std::string> pathValue(std::string_view text) {
  if (text.empty()) {
    return usageError("empty path");
  }
  // TOML allows "\u0000", but no file name contains one: open() would cut the path there.
  if (text.find('\0') != std::string_view::npos) {
    return usageError("path contains a NUL character");
  }
  return std::string(text);
}

using Setter = Status (*)(const Context&, std::string_view key, const toml::node&, OptionsLayer&);

Status setVerbosity(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, false, verbosityValue, l.verbosity);
}

Status setSubreaper(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return flag(c, key, n, l.subreaper);
}

Status setPdeathsig(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, true, parseSignal, l.pdeathsig);
}

Status setForward(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, false, parseForward, l.forward);
}

Status setRemapExit(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  const toml::array* array = n.as_array();
  if (array == nullptr) {
    return typeError(c, key, n, "an array of exit codes");
  }
  std::vector<int> codes;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const std::string itemKey = fmt::format("{}[{}]", key, i);
    const auto* number = item.as_integer();
    if (number == nullptr) {
      return typeError(c, itemKey, item, "an integer");
    }
    auto code = parseExitCode(std::to_string(number->get()));
    if (!code) {
      return c.at(item.source(), itemKey, code.error().message);
    }
    codes.push_back(*code);
  }
  l.remapExit = std::move(codes);
  return {};
}

Status setWarnOnReap(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return flag(c, key, n, l.warnOnReap);
}

Status setRewrite(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  const toml::table* table = n.as_table();
  if (table == nullptr) {
    return typeError(c, key, n, "a table of signals such as { SIGTERM = \"SIGQUIT\" }");
  }
  std::map<int, int> rewrite;
  std::map<int, std::string> spelledAs;
  for (const auto& [from, to] : inFileOrder(*table)) {
    auto fromSignal = parseSignal(from->str());
    if (!fromSignal) {
      return c.at(from->source(), key, fromSignal.error().message);
    }
    if (auto it = spelledAs.find(*fromSignal); it != spelledAs.end()) {
      return c.at(from->source(), key,
                  fmt::format("'{}' and '{}' are both {}", it->second, from->str(),
                              signalName(*fromSignal)));
    }
    const std::string itemKey = fmt::format("{}.{}", key, from->str());
    std::optional<int> toSignal;
    if (auto st = parsed(c, itemKey, *to, true, parseSignal, toSignal); !st) {
      return st;
    }
    // parseRewrite() holds the rule on which signals cannot be rewritten (SIGKILL, ...).
    auto pair = parseRewrite(fmt::format("{}:{}", signalName(*fromSignal), signalName(*toSignal)));
    if (!pair) {
      return c.at(from->source(), key, pair.error().message);
    }
    spelledAs[*fromSignal] = std::string(from->str());
    rewrite[pair->first] = pair->second;
  }
  l.rewrite = std::move(rewrite);
  return {};
}

Status setGrace(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, true, parseDuration, l.grace);
}

Status setStopSignal(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, true, parseStopSignal, l.stopSignal);
}

Status setStopTimeout(const Context& c, std::string_view key, const toml::node& n,
                      OptionsLayer& l) {
  return parsed(c, key, n, true, parseDuration, l.stopTimeout);
}

Status setCgroupMode(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, false, parseCgroupMode, l.cgroupMode);
}

Status setPidsMax(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, true, parsePidsMax, l.pidsMax);
}

Status setLimits(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  const toml::table* table = n.as_table();
  if (table == nullptr) {
    return typeError(c, key, n, "a table of cgroup files such as { \"memory.max\" = \"512M\" }");
  }
  std::vector<Limit> limits;
  for (const auto& [file, value] : inFileOrder(*table)) {
    if (value->is_table()) {
      // `memory.max = "1G"` without quotes is a dotted key: a table "memory" holding "max".
      return c.at(file->source(), key,
                  fmt::format("'{}' is a table: quote file names that contain a dot "
                              "(\"{}.max\" = \"512M\")",
                              file->str(), file->str()));
    }
    if (!isValidLimitFile(file->str())) {
      return c.at(file->source(), key,
                  fmt::format("invalid limit file '{}' (expected a controller's interface file "
                              "such as memory.max)",
                              file->str()));
    }
    const std::string itemKey = fmt::format("{}.\"{}\"", key, file->str());
    auto text = stringOrInteger(c, itemKey, *value);
    if (!text) {
      return std::move(text).error();
    }
    auto limit = parseLimit(fmt::format("{}={}", file->str(), *text));
    if (!limit) {
      return c.at(value->source(), itemKey, limit.error().message);
    }
    limits.push_back(std::move(limit).value());
  }
  l.limits = std::move(limits);
  return {};
}

Status setReportPath(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  return parsed(c, key, n, false, pathValue, l.reportPath);
}

struct KeySpec {
  std::string_view table;
  std::string_view name;
  Setter set;
};

constexpr std::array<std::string_view, 4> kTables = {"init", "shutdown", "cgroup", "report"};

constexpr std::array<KeySpec, 14> kKeys = {{
    {"init", "verbosity", setVerbosity},
    {"init", "subreaper", setSubreaper},
    {"init", "pdeathsig", setPdeathsig},
    {"init", "forward", setForward},
    {"init", "remap_exit", setRemapExit},
    {"init", "warn_on_reap", setWarnOnReap},
    {"init", "rewrite", setRewrite},
    {"shutdown", "grace", setGrace},
    {"shutdown", "signal", setStopSignal},
    {"shutdown", "stop_timeout", setStopTimeout},
    {"cgroup", "mode", setCgroupMode},
    {"cgroup", "pids_max", setPidsMax},
    {"cgroup", "limits", setLimits},
    {"report", "path", setReportPath},
}};

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions.
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// The known key or table closest to `table`.`name`, if one is close enough to be a typo. A
/// known key of the same name in another table counts as one edit (`init.grace` suggests
/// `shutdown.grace`; a top-level `verbosity` suggests `init.verbosity`).
std::optional<std::string> nearestKey(std::string_view table, std::string_view name) {
  struct Candidate {
    std::string_view table;
    std::string_view name;
  };
  std::vector<Candidate> candidates;
  for (std::string_view t : kTables) {
    candidates.push_back({"", t});
  }
  for (const KeySpec& k : kKeys) {
    candidates.push_back({k.table, k.name});
  }
  const std::string full = table.empty() ? std::string(name) : fmt::format("{}.{}", table, name);
  std::optional<std::string> best;
  size_t bestScore = std::max<size_t>(2, name.size() / 3) + 1;
  for (const Candidate& k : candidates) {
    const std::string candidate =
        k.table.empty() ? std::string(k.name) : fmt::format("{}.{}", k.table, k.name);
    const size_t score = std::min(editDistance(full, candidate),
                                  editDistance(name, k.name) + (k.table == table ? 0 : 1));
    if (score < bestScore && score < name.size()) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}

Error unknownKey(const Context& c, const toml::key& key, std::string_view table) {
  const std::string full =
      table.empty() ? std::string(key.str()) : fmt::format("{}.{}", table, key.str());
  std::string message = fmt::format("unknown key '{}'", full);
  if (auto suggestion = nearestKey(table, key.str())) {
    message += fmt::format(" (did you mean '{}'?)", *suggestion);
  }
  return c.at(key.source(), message);
}

Result<OptionsLayer> fromDocument(const Context& c, const toml::table& root) {
  OptionsLayer layer;
  for (const auto& [tableKey, tableNode] : inFileOrder(root)) {
    const std::string_view tableName = tableKey->str();
    if (std::find(kTables.begin(), kTables.end(), tableName) == kTables.end()) {
      return unknownKey(c, *tableKey, "");
    }
    const toml::table* table = tableNode->as_table();
    if (table == nullptr) {
      return typeError(c, tableName, *tableNode, "a table");
    }
    for (const auto& [key, node] : inFileOrder(*table)) {
      // A named copy: clang 14 cannot capture a structured binding in a lambda.
      const std::string_view keyName = key->str();
      const auto* spec = std::find_if(kKeys.begin(), kKeys.end(), [&](const KeySpec& k) {
        return k.table == tableName && k.name == keyName;
      });
      if (spec == kKeys.end()) {
        return unknownKey(c, *key, tableName);
      }
      const std::string fullKey = fmt::format("{}.{}", tableName, spec->name);
      if (auto st = spec->set(c, fullKey, *node, layer); !st) {
        return std::move(st).error();
      }
    }
  }
  return layer;
}

/// toml++ says "Error while parsing key-value pair: cannot redefine existing boolean 'x'".
std::string syntaxMessage(std::string_view description) {
  constexpr std::string_view kPrefix = "Error while parsing ";
  if (description.substr(0, kPrefix.size()) == kPrefix) {
    return fmt::format("TOML syntax error in {}", description.substr(kPrefix.size()));
  }
  std::string message = fmt::format("TOML syntax error: {}", description);
  const size_t first = message.size() - description.size();
  if (first < message.size() && message[first] >= 'A' && message[first] <= 'Z') {
    message[first] = static_cast<char>(message[first] - 'A' + 'a');
  }
  return message;
}

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

/// A TOML basic string: quotes and backslashes escaped, control characters as \uXXXX.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned>(byte));
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

/// `key = value`, or a comment saying that the key is not set.
template <typename T, typename Format>
std::string optionalLine(std::string_view key, const std::optional<T>& value, Format format,
                         std::string_view unsetMeaning) {
  if (value) {
    return fmt::format("{} = {}\n", key, format(*value));
  }
  return fmt::format("# {} is not set: {}\n", key, unsetMeaning);
}

}  // namespace

Result<OptionsLayer> parseConfig(std::string_view text, std::string_view path) {
  const Context c(path);
  if (const auto offset = NonAsciiScanner(text).find()) {
    const std::string_view before = text.substr(0, *offset);
    const size_t lineStart = before.rfind('\n') + 1;  // npos + 1 is 0
    const auto column =
        std::count_if(before.begin() + static_cast<std::ptrdiff_t>(lineStart), before.end(),
                      [](char ch) { return (static_cast<unsigned char>(ch) & 0xc0) != 0x80; });
    return usageError(fmt::format("{}:{}:{}: TOML syntax error: unexpected non-ASCII character",
                                  path, std::count(before.begin(), before.end(), '\n') + 1,
                                  column + 1));
  }
#if TOML_EXCEPTIONS
  // toml++ reports syntax errors, duplicate keys and invalid UTF-8 by throwing; nothing else in
  // cginit throws, so the exception ends here.
  try {
    const toml::table root = toml::parse(text, path);
    return fromDocument(c, root);
  } catch (const toml::parse_error& e) {
    return c.at(e.source(), syntaxMessage(e.description()));
  }
#else
  const toml::parse_result result = toml::parse(text, path);
  if (!result) {
    return c.at(result.error().source(), syntaxMessage(result.error().description()));
  }
  return fromDocument(c, result.table());
#endif
}

Result<OptionsLayer> loadConfig(const std::string& path) {
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    Error e = sysError("open", path);
    e.usage = true;  // a configuration error: exit 2 like any other
    return e;
  }
  std::string text;
  std::array<char, 8192> buffer{};
  for (;;) {
    const ssize_t n = read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      Error e = sysError("read", path);
      e.usage = true;
      return e;
    }
    if (n == 0) {
      break;
    }
    text.append(buffer.data(), static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      return usageError(
          fmt::format("{}: larger than {} bytes: not a configuration file", path, kMaxFileSize));
    }
  }
  return parseConfig(text, path);
}

std::string formatConfig(const Options& o) {
  const auto signal = [](int signo) { return quoted(signalName(signo)); };
  const auto duration = [](std::chrono::milliseconds d) { return quoted(formatDuration(d)); };
  const auto pids = [](const PidsMax& p) { return p.unlimited ? quoted("max") : p.str(); };

  std::vector<std::string> codes;
  for (const int code : o.remapExit) {
    codes.push_back(std::to_string(code));
  }
  std::vector<std::string> rewrites;
  for (const auto& [from, to] : o.rewrite) {
    rewrites.push_back(fmt::format("{} = {}", quoted(signalName(from)), signal(to)));
  }
  std::vector<std::string> limits;
  for (const Limit& limit : o.limits) {
    limits.push_back(fmt::format("{} = {}", quoted(limit.file), quoted(limit.value)));
  }
  const auto inlineTable = [](const std::vector<std::string>& items) {
    return items.empty() ? std::string("{}") : fmt::format("{{ {} }}", fmt::join(items, ", "));
  };

  std::string out =
      "# The effective configuration of cginit (defaults < file < environment < command line).\n";
  out += "[init]\n";
  out += fmt::format("verbosity = {}\n", quoted(verbosityName(o.verbosity)));
  out += fmt::format("subreaper = {}\n", o.subreaper);
  out += optionalLine("pdeathsig", o.pdeathsig, signal, "no signal when the parent dies");
  out += fmt::format("forward = {}\n", quoted(forwardName(o.forward)));
  out += fmt::format("remap_exit = [{}]\n", fmt::join(codes, ", "));
  out += fmt::format("warn_on_reap = {}\n", o.warnOnReap);
  out += fmt::format("rewrite = {}\n", inlineTable(rewrites));
  out += "\n[shutdown]\n";
  out += fmt::format("grace = {}\n", duration(o.grace));
  out += fmt::format("signal = {}\n", signal(o.stopSignal));
  out += optionalLine("stop_timeout", o.stopTimeout, duration,
                      "the container manager decides when to kill");
  out += "\n[cgroup]\n";
  out += fmt::format("mode = {}\n", quoted(cgroupModeName(o.cgroupMode)));
  out += optionalLine("pids_max", o.pidsMax, pids, "pids.max is not written");
  out += fmt::format("limits = {}\n", inlineTable(limits));
  out += "\n[report]\n";
  out += optionalLine("path", o.reportPath, quoted, "no exit report");
  return out;
}

}  // namespace cginit
