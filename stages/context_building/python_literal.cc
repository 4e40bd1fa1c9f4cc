#include "stages/context_building/python_literal.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "stages/context_building/utf8.h"

namespace deeper {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of a string prefix (r, u, b, f and their combinations) before a quote at text[pos], or -1
// when no string literal starts there.
int StringPrefixLength(std::string_view text, size_t pos) {
  if (pos >= text.size()) return -1;
  if (text[pos] == '\'' || text[pos] == '"') return 0;  // The common case: no prefix.
  auto is_prefix = [](char c) { return c == 'r' || c == 'R' || c == 'u' || c == 'U' || c == 'b' || c == 'B' || c == 'f' || c == 'F'; };
  size_t i = pos;
  while (i < text.size() && i - pos < 2 && is_prefix(text[i])) ++i;
  if (i > pos && i < text.size() && (text[i] == '\'' || text[i] == '"')) return static_cast<int>(i - pos);
  return -1;
}

// True when three `quote` characters start at text[pos].
bool AtTripleQuote(std::string_view text, size_t pos, char quote) {
  return pos + 2 < text.size() && text[pos] == quote && text[pos + 1] == quote && text[pos + 2] == quote;
}

}  // namespace

void PyLiteralParser::SkipSpace() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') return;
    ++pos_;
  }
}

bool PyLiteralParser::TryConsume(char c) {
  SkipSpace();
  if (Peek() != c) return false;
  ++pos_;
  return true;
}

void PyLiteralParser::Expect(char c, const char* what) {
  if (!TryConsume(c)) {
    if (AtEnd()) FailHere("expected ", what, ", found the end of the text");
    FailHere("expected ", what, ", found '", Peek(), "'");
  }
}

std::string_view PyLiteralParser::PeekToken() const {
  size_t end = pos_;
  while (end < text_.size() && end - pos_ < 20 && std::strchr(",])} \t\n", text_[end]) == nullptr) ++end;
  return text_.substr(pos_, end - pos_);
}

bool PyLiteralParser::AtString() const { return StringPrefixLength(text_, pos_) >= 0; }

void PyLiteralParser::ParseString(std::string* out) {
  ParseOneString(out);
  // Python joins adjacent literals: 'a' "b" is 'ab'.
  while (true) {
    const size_t save = pos_;
    SkipSpace();
    if (!AtString()) {
      pos_ = save;
      return;
    }
    ParseOneString(out);
  }
}

void PyLiteralParser::ParseOneString(std::string* out) {
  bool raw = false;
  while (text_[pos_] != '\'' && text_[pos_] != '"') {
    const char p = text_[pos_];
    if (p == 'b' || p == 'B') FailHere("bytes literal where text was expected");
    if (p == 'f' || p == 'F') FailHere("f-string is not a literal");
    raw = raw || p == 'r' || p == 'R';
    ++pos_;
  }
  const char quote = text_[pos_];
  const bool triple = AtTripleQuote(text_, pos_, quote);
  const size_t open = pos_;
  pos_ += triple ? 3 : 1;
  while (true) {
    // Copy the run of ordinary characters in one piece.
    size_t run = pos_;
    while (run < text_.size() && text_[run] != quote && text_[run] != '\\' && text_[run] != '\n') ++run;
    out->append(text_.data() + pos_, run - pos_);
    pos_ = run;
    if (AtEnd()) {
      pos_ = open;
      FailHere("unterminated string");
    }
    const char c = text_[pos_];
    if (c == quote) {
      if (!triple) {
        ++pos_;
        return;
      }
      if (AtTripleQuote(text_, pos_, quote)) {
        pos_ += 3;
        return;
      }
      out->push_back(c);
      ++pos_;
    } else if (c == '\n') {
      if (!triple) FailHere("newline inside a single-quoted string");
      out->push_back(c);
      ++pos_;
    } else if (raw) {
      // A raw string keeps the backslash, but it still protects the next character from ending it.
      out->push_back('\\');
      ++pos_;
      if (!AtEnd()) out->push_back(text_[pos_++]);
    } else {
      ParseEscape(out);
    }
  }
}

char32_t PyLiteralParser::ParseHex(size_t digits, const char* escape) {
  char32_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const int v = pos_ < text_.size() ? HexValue(text_[pos_]) : -1;
    if (v < 0) FailHere("truncated \\", escape, " escape: expected ", digits, " hex digits");
    value = value * 16 + static_cast<char32_t>(v);
    ++pos_;
  }
  return value;
}

void PyLiteralParser::ParseEscape(std::string* out) {
  const size_t escape_start = pos_;
  ++pos_;  // The backslash.
  if (AtEnd()) FailHere("unterminated string (backslash at the end)");
  const char c = text_[pos_++];
  char32_t cp;
  switch (c) {
    case '\n': return;  // Backslash-newline continues the literal.
    case '\r':
      if (Peek() == '\n') ++pos_;
      return;
    case '\\': out->push_back('\\'); return;
    case '\'': out->push_back('\''); return;
    case '"': out->push_back('"'); return;
    case 'a': out->push_back('\a'); return;
    case 'b': out->push_back('\b'); return;
    case 'f': out->push_back('\f'); return;
    case 'n': out->push_back('\n'); return;
    case 'r': out->push_back('\r'); return;
    case 't': out->push_back('\t'); return;
    case 'v': out->push_back('\v'); return;
    case 'x': cp = ParseHex(2, "xNN"); break;
    case 'u': cp = ParseHex(4, "uNNNN"); break;
    case 'U': cp = ParseHex(8, "UNNNNNNNN"); break;
    case 'N':
      pos_ = escape_start;
      FailHere("\\N{...} escapes are not supported");
    default:
      if (c >= '0' && c <= '7') {
        cp = static_cast<char32_t>(c - '0');
        for (int i = 0; i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7'; ++i) {
          cp = cp * 8 + static_cast<char32_t>(text_[pos_++] - '0');
        }
        break;
      }
      // Python keeps unknown escapes as written.
      out->push_back('\\');
      out->push_back(c);
      return;
  }
  if (!AppendUtf8(cp, out)) {
    pos_ = escape_start;
    if (cp > 0x10FFFF) FailHere("escape beyond U+10FFFF");
    FailHere("escape of a lone surrogate, which has no UTF-8 form");
  }
}

bool PyLiteralParser::AtNumber() const {
  size_t i = pos_;
  if (i < text_.size() && (text_[i] == '-' || text_[i] == '+')) {
    ++i;
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
  }
  if (i >= text_.size()) return false;
  return IsDigit(text_[i]) || (text_[i] == '.' && i + 1 < text_.size() && IsDigit(text_[i + 1]));
}

double PyLiteralParser::ParseNumber(bool* is_integer) {
  const size_t start = pos_;
  bool negative = false;
  if (Peek() == '-' || Peek() == '+') {
    negative = Peek() == '-';
    ++pos_;
    while (Peek() == ' ' || Peek() == '\t') ++pos_;
  }
  // The token: identifier characters and dots, plus a sign right after an exponent marker.
  const size_t token_start = pos_;
  const bool hex = text_.substr(pos_, 2) == "0x" || text_.substr(pos_, 2) == "0X";
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    const char prev = pos_ > token_start ? text_[pos_ - 1] : '\0';
    const bool exponent_sign = (c == '+' || c == '-') && !hex && (prev == 'e' || prev == 'E');
    if (!IsIdentChar(c) && c != '.' && !exponent_sign) break;
    ++pos_;
  }
  // Underscores (1_000) are rare: only then is the token copied without them.
  std::string_view token = text_.substr(token_start, pos_ - token_start);
  std::string without_underscores;
  if (token.find('_') != std::string_view::npos) {
    for (char c : token) {
      if (c != '_') without_underscores.push_back(c);
    }
    token = without_underscores;
  }
  const std::string_view shown = text_.substr(start, pos_ - start);
  int base = 10;
  size_t skip = 0;
  if (token.size() > 1 && token[0] == '0' && std::strchr("xXoObB", token[1]) != nullptr) {
    base = (token[1] == 'x' || token[1] == 'X') ? 16 : (token[1] == 'o' || token[1] == 'O') ? 8 : 2;
    skip = 2;
  }
  const bool is_float = base == 10 && token.find_first_of(".eE") != std::string_view::npos;
  const char* first = token.data() + skip;
  const char* last = token.data() + token.size();
  double value = 0;
  if (is_float) {
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || !std::isfinite(value)) {
      pos_ = start;
      FailHere("malformed number '", shown, "'");
    }
  } else {
    // Python 3 refuses decimal ints with leading zeros such as 07.
    const bool leading_zero = base == 10 && token.size() > 1 && token[0] == '0' &&
                              token.find_first_not_of('0') != std::string_view::npos;
    uint64_t integer = 0;
    auto [ptr, ec] = std::from_chars(first, last, integer, base);
    if (first == last || leading_zero || ptr != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      pos_ = start;
      FailHere("malformed number '", shown, "'");
    }
    if (ec == std::errc::result_out_of_range) {
      // Beyond 64 bits: Python has arbitrary ints; a rating that large is kept approximately.
      if (base != 10) {
        pos_ = start;
        FailHere("number '", shown, "' is out of range");
      }
      std::from_chars(first, last, value);
    } else {
      value = static_cast<double>(integer);
    }
  }
  *is_integer = !is_float;
  return negative ? -value : value;
}

namespace {

void ParseItems(PyLiteralParser& p, int expected_length, Window* window) {
  const bool tuple = p.TryConsume('(');
  if (!tuple) p.Expect('[', "'[' opening the item list");
  const char close = tuple ? ')' : ']';
  window->items.clear();
  window->items.reserve(static_cast<size_t>(expected_length));
  while (!p.TryConsume(close)) {
    p.SkipSpace();
    if (!p.AtString()) p.FailHere("item ", window->items.size() + 1, " is not a string");
    window->items.emplace_back();
    p.ParseString(&window->items.back());
    if (!p.TryConsume(',')) {
      p.Expect(close, tuple ? "',' or ')'" : "',' or ']'");
      break;
    }
  }
}

void ParseRatings(PyLiteralParser& p, int expected_length, Window* window) {
  const bool tuple = p.TryConsume('(');
  if (!tuple) p.Expect('[', "'[' opening the rating list");
  const char close = tuple ? ')' : ']';
  window->ratings.clear();
  window->ratings.reserve(static_cast<size_t>(expected_length));
  bool all_integers = true;
  while (!p.TryConsume(close)) {
    p.SkipSpace();
    if (!p.AtNumber()) {
      std::string shown;
      if (p.AtString()) {
        p.ParseString(&shown);
        p.FailHere("non-numeric rating '", shown, "' (rating ", window->ratings.size() + 1, ")");
      }
      p.FailHere("non-numeric rating '", p.PeekToken(), "' (rating ", window->ratings.size() + 1, ")");
    }
    bool is_integer = false;
    window->ratings.push_back(p.ParseNumber(&is_integer));
    all_integers = all_integers && is_integer;
    if (!p.TryConsume(',')) {
      p.Expect(close, tuple ? "',' or ')'" : "',' or ']'");
      break;
    }
  }
  window->integer_ratings = all_integers;
}

}  // namespace

void ParseWindowLiteral(std::string_view text, int window_length, Window* window) {
  PyLiteralParser p(text);
  p.Expect('{', "'{' opening the window");
  bool have_items = false;
  bool have_ratings = false;
  std::string key;
  while (!p.TryConsume('}')) {
    p.SkipSpace();
    if (!p.AtString()) p.FailHere("expected a quoted key ('items' or 'ratings')");
    key.clear();
    p.ParseString(&key);
    p.Expect(':', "':' after a key");
    if (key == "items") {
      if (have_items) p.FailHere("duplicate key 'items'");
      ParseItems(p, window_length, window);
      have_items = true;
    } else if (key == "ratings") {
      if (have_ratings) p.FailHere("duplicate key 'ratings'");
      ParseRatings(p, window_length, window);
      have_ratings = true;
    } else {
      p.FailHere("unexpected key '", key, "' (a window has 'items' and 'ratings')");
    }
    if (!p.TryConsume(',')) {
      p.Expect('}', "',' or '}'");
      break;
    }
  }
  p.SkipSpace();
  if (!p.AtEnd()) p.FailHere("unexpected text after the window");
  if (!have_items) Fail("missing key 'items'");
  if (!have_ratings) Fail("missing key 'ratings'");
  const size_t expected = static_cast<size_t>(window_length);
  if (window->items.size() != expected || window->ratings.size() != expected) {
    Fail("wrong window length: ", window->items.size(), " items and ", window->ratings.size(),
         " ratings, expected ", expected);
  }
}

}  // namespace deeper
