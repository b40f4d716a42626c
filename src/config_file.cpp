// SPDX-License-Identifier: MIT
// The TOML configuration file to an OptionsLayer, key by key as option_table.cpp lists them. The
// only user of toml++ (through tomlpp.h, which has the workaround for its asserting parser).
#include "cginit/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cginit/option_table.h"
#include "cginit/signal_names.h"
#include "cginit/sys.h"
#include "cginit/text.h"
#include "cginit/unique_fd.h"

#include "toml_non_ascii.h"
#include "tomlpp.h"

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
        fmt::format("{}:{}:{}: {}", escaped(path_), where.begin.line, where.begin.column, message));
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

/// Reads a List setting: an array of integers (remap_exit), each stored through `s.set`.
Status readList(const Context& c, const Setting& s, std::string_view key, const toml::node& n,
                OptionsLayer& l) {
  const toml::array* array = n.as_array();
  if (array == nullptr) {
    return typeError(c, key, n, "an array of exit codes");
  }
  s.clear(l);
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const std::string itemKey = fmt::format("{}[{}]", key, i);
    const auto* number = item.as_integer();
    if (number == nullptr) {
      return typeError(c, itemKey, item, "an integer");
    }
    if (auto st = s.set(std::to_string(number->get()), l); !st) {
      return c.at(item.source(), itemKey, st.error().message);
    }
  }
  return {};
}

Status readRewrite(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
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
                  fmt::format("{} and {} are both {}", quoted(it->second), quoted(from->str()),
                              signalName(*fromSignal)));
    }
    const std::string itemKey = fmt::format("{}.{}", key, escaped(from->str()));
    auto toText = stringOrInteger(c, itemKey, *to);
    if (!toText) {
      return std::move(toText).error();
    }
    auto toSignal = parseSignal(*toText);
    if (!toSignal) {
      return c.at(to->source(), itemKey, toSignal.error().message);
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

Status readLimits(const Context& c, std::string_view key, const toml::node& n, OptionsLayer& l) {
  const toml::table* table = n.as_table();
  if (table == nullptr) {
    return typeError(c, key, n, "a table of cgroup files such as { \"memory.max\" = \"512M\" }");
  }
  std::vector<Limit> limits;
  for (const auto& [file, value] : inFileOrder(*table)) {
    if (value->is_table()) {
      // `memory.max = "1G"` without quotes is a dotted key: a table "memory" holding "max".
      return c.at(file->source(), key,
                  fmt::format("{} is a table: quote file names that contain a dot "
                              "(\"{}.max\" = \"512M\")",
                              quoted(file->str()), escaped(file->str())));
    }
    if (!isValidLimitFile(file->str())) {  // at the key; the value's errors are at the value
      return c.at(file->source(), key, checkLimit(file->str(), "").error().message);
    }
    const std::string itemKey = fmt::format("{}.\"{}\"", key, escaped(file->str()));
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

/// Reads one key's value as its setting's form says, storing it through the table's `set`.
Status readSetting(const Context& c, const Setting& s, std::string_view key, const toml::node& n,
                   OptionsLayer& l) {
  Result<std::string> text = std::string();
  switch (s.form) {
    case ValueForm::Flag:
    case ValueForm::Bool:
      if (const auto* v = n.as_boolean()) {
        return s.set(v->get() ? "true" : "false", l);
      }
      return typeError(c, key, n, "a boolean");
    case ValueForm::Text:
      text = string(c, key, n);
      break;
    case ValueForm::TextOrInteger:
      text = stringOrInteger(c, key, n);
      break;
    case ValueForm::List:
      return readList(c, s, key, n, l);
    case ValueForm::Map:
      // The two maps have checks of their own (quoting of dotted file names, one signal under
      // two names); a new Map setting needs a reader here.
      return s.key == "rewrite" ? readRewrite(c, key, n, l) : readLimits(c, key, n, l);
  }
  if (!text) {
    return std::move(text).error();
  }
  if (auto st = s.set(*text, l); !st) {
    return c.at(n.source(), key, st.error().message);
  }
  return {};
}

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
  for (std::string_view t : configTables()) {
    candidates.push_back({"", t});
  }
  for (const Setting& s : settingsTable()) {
    candidates.push_back({s.table, s.key});
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
  std::string message = fmt::format("unknown key {}", quoted(full));
  if (auto suggestion = nearestKey(table, key.str())) {
    message += fmt::format(" (did you mean {}?)", quoted(*suggestion));
  }
  return c.at(key.source(), message);
}

Result<OptionsLayer> fromDocument(const Context& c, const toml::table& root) {
  OptionsLayer layer;
  const auto tables = configTables();
  for (const auto& [tableKey, tableNode] : inFileOrder(root)) {
    const std::string_view tableName = tableKey->str();
    if (std::find(tables.begin(), tables.end(), tableName) == tables.end()) {
      return unknownKey(c, *tableKey, "");
    }
    const toml::table* table = tableNode->as_table();
    if (table == nullptr) {
      return typeError(c, tableName, *tableNode, "a table");
    }
    for (const auto& [key, node] : inFileOrder(*table)) {
      const Setting* s = findByKey(tableName, key->str());
      if (s == nullptr) {
        return unknownKey(c, *key, tableName);
      }
      const std::string fullKey = fmt::format("{}.{}", tableName, s->key);
      if (auto st = readSetting(c, *s, fullKey, *node, layer); !st) {
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

}  // namespace

Result<OptionsLayer> parseConfig(std::string_view text, std::string_view path) {
  const Context c(path);
  if (const auto offset = findNonAsciiTomlCannotRead(text)) {
    const std::string_view before = text.substr(0, *offset);
    const size_t lineStart = before.rfind('\n') + 1;  // npos + 1 is 0
    const auto column =
        std::count_if(before.begin() + static_cast<std::ptrdiff_t>(lineStart), before.end(),
                      [](char ch) { return (static_cast<unsigned char>(ch) & 0xc0) != 0x80; });
    return usageError(fmt::format("{}:{}:{}: TOML syntax error: unexpected non-ASCII character",
                                  escaped(path), std::count(before.begin(), before.end(), '\n') + 1,
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
  // O_NONBLOCK: a FIFO (or a terminal) must not block cginit before anything has started.
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  const auto usage = [](Error e) {
    e.usage = true;  // a configuration error: exit 2 like any other
    return e;
  };
  if (!fd) {
    return usage(sysError("open", path));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) < 0) {
    return usage(sysError("fstat", path));
  }
  if (S_ISDIR(st.st_mode)) {
    return usage(errnoError(EISDIR, "read", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return usageError(fmt::format("{}: not a regular file (a {})", escaped(path),
                                  S_ISFIFO(st.st_mode)   ? "FIFO"
                                  : S_ISSOCK(st.st_mode) ? "socket"
                                  : S_ISCHR(st.st_mode)  ? "character device"
                                                         : "block device"));
  }
  std::string text;
  std::array<char, 8192> buffer{};
  for (;;) {
    auto n = sys::read(fd.get(), buffer.data(), buffer.size(), path);
    if (!n) {
      return usage(std::move(n).error());
    }
    if (*n == 0) {
      break;
    }
    text.append(buffer.data(), *n);
    if (text.size() > kMaxFileSize) {
      return usageError(fmt::format("{}: larger than {} bytes: not a configuration file",
                                    escaped(path), kMaxFileSize));
    }
  }
  return parseConfig(text, path);
}

}  // namespace cginit
