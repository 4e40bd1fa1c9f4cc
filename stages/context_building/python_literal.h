// The Python literal syntax that repr() writes, as found in the release's window cells:
// `{'items': ['a', "b's"], 'ratings': [5, 4.0]}`. Strings may be single-, double- or triple-quoted,
// with r/u prefixes, Python escapes (\\ \' \" \n \t \r \a \b \f \v \ooo \xNN \uNNNN \UNNNNNNNN,
// backslash-newline) and implicit concatenation of adjacent literals; numbers are Python ints
// (decimal, 0x/0o/0b, underscores) and floats, with an optional sign.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.h"
#include "stages/context_building/user_context.h"

namespace deeper {

class PyLiteralParser {
 public:
  explicit PyLiteralParser(std::string_view text) : text_(text) {}

  // Skips spaces, tabs, newlines and form feeds (all allowed inside brackets).
  void SkipSpace();
  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t pos() const { return pos_; }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  // Consumes `c` after optional space; false (nothing consumed but the space) otherwise.
  bool TryConsume(char c);
  // Consumes `c` after optional space or throws "expected <what>".
  void Expect(char c, const char* what);

  // True when a string literal (with an optional prefix) starts here.
  bool AtString() const;
  // Appends the decoded text of one or more adjacent string literals to *out (as UTF-8).
  void ParseString(std::string* out);

  // True when a number (with an optional sign) starts here.
  bool AtNumber() const;
  // Parses an int or float; *is_integer tells which Python type it was.
  double ParseNumber(bool* is_integer);

  // The text from here up to the next ',', ']', ')', '}' or space (at most 20 bytes), for messages.
  std::string_view PeekToken() const;

  // Throws deeper::Error "column N: parts..." (1-based column within the literal).
  template <typename... Parts>
  [[noreturn]] void FailHere(const Parts&... parts) const {
    Fail("column ", pos_ + 1, ": ", parts...);
  }

 private:
  void ParseOneString(std::string* out);
  void ParseEscape(std::string* out);
  char32_t ParseHex(size_t digits, const char* escape);

  std::string_view text_;
  size_t pos_ = 0;
};

// Parses a window cell `{'items': [...], 'ratings': [...]}` into *window (keys in either order).
// Throws deeper::Error with the reason: a broken literal, a non-numeric rating, a missing or unknown
// key, or a list whose length is not `window_length`. Item names are taken as written (no HTML
// unescaping here).
void ParseWindowLiteral(std::string_view text, int window_length, Window* window);

}  // namespace deeper
