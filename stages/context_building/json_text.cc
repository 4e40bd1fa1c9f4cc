#include "stages/context_building/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "stages/context_building/utf8.h"

namespace deeper {
namespace {

void AppendUnicodeEscape(char32_t unit, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  const char escape[6] = {'\\', 'u', kHex[(unit >> 12) & 0xF], kHex[(unit >> 8) & 0xF], kHex[(unit >> 4) & 0xF],
                          kHex[unit & 0xF]};
  out->append(escape, 6);
}

bool IsPlainAscii(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; }

}  // namespace

void AppendJsonString(std::string_view utf8, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < utf8.size()) {
    size_t run = pos;
    while (run < utf8.size() && IsPlainAscii(static_cast<unsigned char>(utf8[run]))) ++run;
    out->append(utf8.data() + pos, run - pos);
    pos = run;
    if (pos >= utf8.size()) break;
    const char32_t cp = DecodeUtf8(utf8, &pos);
    switch (cp) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (cp >= 0x10000) {
          const char32_t v = cp - 0x10000;
          AppendUnicodeEscape(0xD800 | (v >> 10), out);
          AppendUnicodeEscape(0xDC00 | (v & 0x3FF), out);
        } else {
          AppendUnicodeEscape(cp, out);
        }
    }
  }
  out->push_back('"');
}

void AppendPythonFloat(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value < 0 ? "-Infinity" : "Infinity");
    return;
  }
  // Shortest round-trip digits, as "d.ddde+XX"; Python's repr picks the same digits.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, std::fabs(value), std::chars_format::scientific);
  const std::string_view sci(buffer, static_cast<size_t>(result.ptr - buffer));
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  const int point = exponent + 1;  // value = 0.DIGITS x 10^point
  const int n = static_cast<int>(digits.size());
  if (std::signbit(value)) out->push_back('-');
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out->append("0.");
      out->append(static_cast<size_t>(-point), '0');
      out->append(digits);
    } else if (point >= n) {
      out->append(digits);
      out->append(static_cast<size_t>(point - n), '0');
      out->append(".0");
    } else {
      out->append(digits, 0, static_cast<size_t>(point));
      out->push_back('.');
      out->append(digits, static_cast<size_t>(point), std::string::npos);
    }
    return;
  }
  out->push_back(digits[0]);
  if (n > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  out->push_back('e');
  out->push_back(exponent < 0 ? '-' : '+');
  const int magnitude = std::abs(exponent);
  if (magnitude < 10) out->push_back('0');
  out->append(std::to_string(magnitude));
}

void AppendJsonNumber(double value, bool integer, std::string* out) {
  if (integer && std::isfinite(value) && std::fabs(value) < 9.2e18 && value == std::trunc(value)) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(value));
    out->append(buffer, result.ptr);
    return;
  }
  AppendPythonFloat(value, out);
}

}  // namespace deeper
