// Writes user contexts as a DEEPER split CSV (id,item_type,split,dataset_name,source_url,
// windows_0..windows_{N-1}), each window cell the Python repr of {'items': [...], 'ratings': [...]},
// quoted as pandas' to_csv quotes it, lines ending in "\n". ReadDeeperCsv reads it back unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stages/context_building/user_context.h"

namespace deeper::world {

// Every user must have the same number (>= 1) of non-empty windows; deeper::Error otherwise.
std::string FormatDeeperCsv(const std::vector<UserContext>& users);

// Python's repr of a str: single quotes unless the text holds a ' and no ", backslash and control
// characters escaped. Text outside ASCII is kept as UTF-8, as Python 3 keeps printable characters.
void AppendPythonString(std::string_view text, std::string* out);

}  // namespace deeper::world
