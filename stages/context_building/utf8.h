// UTF-8 validation and encoding for the context readers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deeper {

// Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are refused), or std::string_view::npos when valid.
size_t FindInvalidUtf8(std::string_view text);

// Appends the UTF-8 encoding of `code_point`; false (nothing appended) for surrogates and values
// above U+10FFFF, which have no UTF-8 form.
bool AppendUtf8(char32_t code_point, std::string* out);

// Decodes the code point starting at text[*pos] (text must be valid UTF-8) and advances *pos.
char32_t DecodeUtf8(std::string_view text, size_t* pos);

}  // namespace deeper
