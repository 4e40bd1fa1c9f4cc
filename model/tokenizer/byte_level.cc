#include "model/tokenizer/byte_level.h"

#include <array>
#include <cstdint>

#include "model/tokenizer/unicode.h"

namespace deeper::tokenizer {
namespace {

bool RepresentsItself(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

struct Tables {
  std::array<char32_t, 256> byte_to_char{};
  // Inverse over U+0000..U+01FF, the only range the alphabet uses.
  std::array<int16_t, 512> char_to_byte{};
};

Tables MakeTables() {
  Tables t;
  t.char_to_byte.fill(-1);
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    char32_t cp = RepresentsItself(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + next++);
    t.byte_to_char[b] = cp;
    t.char_to_byte[cp] = static_cast<int16_t>(b);
  }
  return t;
}

const Tables& GetTables() {
  static const Tables tables = MakeTables();
  return tables;
}

}  // namespace

char32_t ByteToChar(uint8_t b) { return GetTables().byte_to_char[b]; }

int CharToByte(char32_t cp) { return cp < 512 ? GetTables().char_to_byte[cp] : -1; }

bool ByteLevelToBytes(std::string_view text, std::string* bytes) {
  bytes->clear();
  size_t i = 0;
  while (i < text.size()) {
    int b = CharToByte(NextCodePoint(text, i));
    if (b < 0) return false;
    bytes->push_back(static_cast<char>(b));
  }
  return true;
}

std::string DecodeByteLevelToken(std::string_view text) {
  std::string bytes;
  if (ByteLevelToBytes(text, &bytes)) return bytes;
  return std::string(text);
}

}  // namespace deeper::tokenizer
