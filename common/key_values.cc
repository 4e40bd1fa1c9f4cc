#include "common/key_values.h"

#include "common/error.h"

namespace deeper {

std::vector<std::pair<std::string, std::string>> ParseKeyValueList(const std::string& text, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    DEEPER_REQUIRE(eq != std::string::npos && eq > 0, what, ": '", item, "' is not key=value");
    pairs.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return pairs;
}

}  // namespace deeper
