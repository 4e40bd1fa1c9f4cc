// GPT-2's byte-level alphabet: every byte is shown as one printable code point so that BPE vocab
// entries are text. Bytes 33-126, 161-172 and 174-255 stand for themselves; the other 68 bytes
// (controls, space, DEL, NBSP, soft hyphen), in increasing order, map to U+0100, U+0101, ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace deeper::tokenizer {

// The code point that represents byte `b`.
char32_t ByteToChar(uint8_t b);

// The byte a code point represents, or -1 when it is not part of the byte-level alphabet.
int CharToByte(char32_t cp);

// Maps the byte-level text of a vocab entry (valid UTF-8) back to raw bytes. Returns false, leaving
// `bytes` unspecified, when some character is outside the alphabet.
bool ByteLevelToBytes(std::string_view text, std::string* bytes);

// The bytes HF's ByteLevel decoder produces for one token: its raw bytes when every character is
// in the alphabet, otherwise the token's own UTF-8 text unchanged (e.g. added tokens like "<|x|>"
// are in the alphabet anyway; tokens with other characters pass through as they are).
std::string DecodeByteLevelToken(std::string_view text);

}  // namespace deeper::tokenizer
