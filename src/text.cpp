// SPDX-License-Identifier: MIT
// Text helpers every layer uses: decimal integers, UTF-8 validity, and quoting outside text for
// log lines; pure.
#include "cginit/text.h"

#include <array>
#include <cstdint>

namespace cginit {
namespace {

/// The length of the well-formed UTF-8 sequence at text[i] and its code point, or 0.
size_t utf8Sequence(std::string_view text, size_t i, uint32_t& cp) {
  const auto lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  uint32_t min = 0;  // the smallest code point that needs this many bytes
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  if ((lead & 0xe0) == 0xc0) {
    length = 2;
    min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - i < length) {
    return 0;
  }
  cp = lead & (0x7fu >> length);
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (next & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return length;
}

void appendHex(std::string& out, unsigned char byte) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  out += "\\x";
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xf];
}

void appendEscaped(std::string& out, std::string_view text, char quote) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t length = utf8Sequence(text, i, cp);
    const char c = text[i];
    if (length == 0) {
      appendHex(out, static_cast<unsigned char>(c));
      ++i;
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\' || (quote != '\0' && c == quote)) {
      out += '\\';
      out += c;
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      for (size_t k = 0; k < length; ++k) {
        appendHex(out, static_cast<unsigned char>(text[i + k]));
      }
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
}

}  // namespace

bool isUtf8(std::string_view text) {
  uint32_t cp = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8Sequence(text, i, cp);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  appendEscaped(out, text, '\'');
  out += '\'';
  return out;
}

std::string escaped(std::string_view text) {
  std::string out;
  appendEscaped(out, text, '\0');
  return out;
}

}  // namespace cginit
