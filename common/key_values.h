// "a=1,b=two": the comma-separated key=value lists of the tools' --set flags.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace deeper {

// Splits `text` into (key, value) pairs in order; empty items are skipped. An item without '=' or
// with an empty key is an error "<what>: '<item>' is not key=value".
std::vector<std::pair<std::string, std::string>> ParseKeyValueList(const std::string& text, const std::string& what);

}  // namespace deeper
