// UTF-8 and Unicode character classes as the HF tokenizers' regexes (Oniguruma) see them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace deeper::tokenizer {

// Character classes used by the pre-tokenizer patterns. A code point may have several bits
// (a newline is both kSpace and kNewline); kOther means "none of L, N, \s".
enum CharClass : uint8_t {
  kOther = 0,
  kLetter = 1,   // \p{L}: Lu Ll Lt Lm Lo
  kNumber = 2,   // \p{N}: Nd Nl No
  kSpace = 4,    // \s: U+0009-000D, U+0085 and the Z* categories (the Unicode White_Space set)
  kNewline = 8,  // [\r\n]
  kMark = 16,    // \p{M}: Mn Mc Me
};

// Classes of ASCII code points, and of the others (through libutf8proc).
extern const uint8_t kAsciiClasses[128];
uint8_t ClassifyNonAscii(char32_t cp);

inline uint8_t ClassifyCodePoint(char32_t cp) { return cp < 128 ? kAsciiClasses[cp] : ClassifyNonAscii(cp); }

// Unicode White_Space (what both Oniguruma's and Rust regex's `\s` match).
bool IsUnicodeWhitespace(char32_t cp);

// Rust regex's Unicode `\w` (alphabetic, marks, decimal digits, connector punctuation, joiners);
// HF uses it to decide whether an added token with `single_word` stands alone.
bool IsWordChar(char32_t cp);

// Decodes the code point starting at s[i] of a string already known to be valid UTF-8 and
// advances i past it.
inline char32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  unsigned char b = p[i];
  if (b < 0x80) {
    ++i;
    return b;
  }
  if (b < 0xE0) {
    char32_t cp = ((b & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
    i += 2;
    return cp;
  }
  if (b < 0xF0) {
    char32_t cp = ((b & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
    i += 3;
    return cp;
  }
  char32_t cp = ((b & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
                (p[i + 3] & 0x3Fu);
  i += 4;
  return cp;
}

// Decodes the code point that ends just before s[end] (valid UTF-8).
char32_t PreviousCodePoint(std::string_view s, size_t end);

// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates and values above
// U+10FFFF are invalid), or std::string_view::npos when `s` is valid.
size_t FindInvalidUtf8(std::string_view s);

// Appends the UTF-8 encoding of `cp`.
void AppendUtf8(std::string& out, char32_t cp);

// Converts bytes to valid UTF-8 the way Rust's String::from_utf8_lossy does (which is what HF's
// decoders return): each maximal invalid subsequence becomes one U+FFFD.
std::string Utf8Lossy(std::string_view bytes);

}  // namespace deeper::tokenizer
