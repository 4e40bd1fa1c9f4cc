#include "model/tokenizer/unicode.h"

#include <cstdint>

#include <utf8proc.h>


namespace deeper::tokenizer {

// Letters a-z A-Z, digits, \s (tab, LF, VT, FF, CR, space; LF and CR also kNewline), the rest kOther.
#define L kLetter
#define N kNumber
#define S kSpace
#define NL (kSpace | kNewline)
const uint8_t kAsciiClasses[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, S, NL, S, S, NL, 0, 0,  // 0x00
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  // 0x10
    S, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  // 0x20
    N, N, N, N, N, N, N, N, N, N, 0,  0, 0, 0,  0, 0,  // 0x30
    0, L, L, L, L, L, L, L, L, L, L,  L, L, L,  L, L,  // 0x40
    L, L, L, L, L, L, L, L, L, L, L,  0, 0, 0,  0, 0,  // 0x50
    0, L, L, L, L, L, L, L, L, L, L,  L, L, L,  L, L,  // 0x60
    L, L, L, L, L, L, L, L, L, L, L,  0, 0, 0,  0, 0,  // 0x70
};
#undef L
#undef N
#undef S
#undef NL

namespace {

// Length of a UTF-8 sequence from its lead byte and the valid range of its second byte
// (Unicode Table 3-7); 0 for bytes that cannot start a sequence.
struct LeadInfo {
  int length;
  unsigned char second_lo;
  unsigned char second_hi;
};

LeadInfo Lead(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};  // excludes surrogates
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
  return {0, 0, 0};
}

// Length of the longest valid prefix of a sequence at s[i] (at least 1 byte is consumed even when
// invalid), and whether the whole sequence is valid.
size_t ScanSequence(std::string_view s, size_t i, bool* valid) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  LeadInfo lead = Lead(p[i]);
  if (lead.length == 0) {
    *valid = false;
    return 1;
  }
  if (lead.length == 1) {
    *valid = true;
    return 1;
  }
  size_t n = 1;
  for (int k = 1; k < lead.length; ++k) {
    if (i + k >= s.size()) {
      *valid = false;
      return n;
    }
    unsigned char c = p[i + k];
    unsigned char lo = k == 1 ? lead.second_lo : 0x80;
    unsigned char hi = k == 1 ? lead.second_hi : 0xBF;
    if (c < lo || c > hi) {
      *valid = false;
      return n;
    }
    ++n;
  }
  *valid = true;
  return n;
}

}  // namespace

bool IsUnicodeWhitespace(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

uint8_t ClassifyNonAscii(char32_t cp) {
  if (IsUnicodeWhitespace(cp)) return kSpace;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return kNumber;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      return kMark;
    default:
      return kOther;
  }
}

bool IsWordChar(char32_t cp) {
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  // Other_Alphabetic symbols outside the letter/mark categories: circled and squared Latin letters.
  if ((cp >= 0x24B6 && cp <= 0x24E9) || (cp >= 0x1F130 && cp <= 0x1F149) ||
      (cp >= 0x1F150 && cp <= 0x1F169) || (cp >= 0x1F170 && cp <= 0x1F189)) {
    return true;
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

char32_t PreviousCodePoint(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  return NextCodePoint(s, start);
}

size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t word;
      __builtin_memcpy(&word, s.data() + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= s.size()) break;
    bool valid;
    size_t n = ScanSequence(s, i, &valid);
    if (!valid) return i;
    i += n;
  }
  return std::string_view::npos;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Utf8Lossy(std::string_view bytes) {
  if (FindInvalidUtf8(bytes) == std::string_view::npos) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  size_t i = 0;
  while (i < bytes.size()) {
    bool valid;
    size_t n = ScanSequence(bytes, i, &valid);
    if (valid) {
      out.append(bytes.data() + i, n);
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD for the maximal invalid subpart
    }
    i += n;
  }
  return out;
}

}  // namespace deeper::tokenizer
