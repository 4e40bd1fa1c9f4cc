// JSON text exactly as Python's json.dumps writes it with default settings, so files written here
// match the release byte for byte.
#pragma once

#include <string>
#include <string_view>

namespace deeper {

// Appends `utf8` as a JSON string literal with ensure_ascii: '"' and '\\' escaped, \b \f \n \r \t by
// name, every other character outside ' '..'~' as \uXXXX (lowercase hex, surrogate pairs above
// U+FFFF). `utf8` must be valid UTF-8.
void AppendJsonString(std::string_view utf8, std::string* out);

// Appends a float as Python's repr does: the shortest digits that round-trip, fixed notation for
// decimal exponents -4..15 with at least one decimal ("4.0", "0.0001"), scientific otherwise
// ("1e-05", "1.5e+16"); NaN and Infinity as json.dumps writes them.
void AppendPythonFloat(double value, std::string* out);

// Appends a rating as an int ("5") when `integer`, as a float ("5.0") otherwise.
void AppendJsonNumber(double value, bool integer, std::string* out);

}  // namespace deeper
