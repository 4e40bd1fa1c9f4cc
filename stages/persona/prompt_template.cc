#include "stages/persona/prompt_template.h"

#include <algorithm>

#include "common/error.h"

namespace deeper {
namespace {

// Calls on_text for literal runs and on_name for each placeholder, in order.
template <typename OnText, typename OnName>
void Scan(const std::string& text, const std::string& where, OnText on_text, OnName on_name) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      on_text(std::string(1, c));
      i += 2;
      continue;
    }
    if (c == '}') Fail(where, ": stray '}' at offset ", i, " (write '}}' for a literal brace)");
    if (c != '{') {
      const size_t next = text.find_first_of("{}", i);
      const size_t end = next == std::string::npos ? text.size() : next;
      on_text(text.substr(i, end - i));
      i = end;
      continue;
    }
    const size_t close = text.find('}', i + 1);
    DEEPER_REQUIRE(close != std::string::npos, where, ": unclosed '{' at offset ", i, " (write '{{' for a literal brace)");
    const std::string name = text.substr(i + 1, close - i - 1);
    DEEPER_REQUIRE(!name.empty() && name.find_first_of("{ \n") == std::string::npos, where, ": bad placeholder '{", name,
                   "}' at offset ", i);
    on_name(name);
    i = close + 1;
  }
}

}  // namespace

std::string RenderTemplate(const std::string& text, const std::map<std::string, std::string>& values,
                           const std::string& where) {
  std::string out;
  Scan(
      text, where, [&](const std::string& literal) { out += literal; },
      [&](const std::string& name) {
        auto it = values.find(name);
        DEEPER_REQUIRE(it != values.end(), where, ": placeholder {", name, "} has no value here");
        out += it->second;
      });
  return out;
}

std::vector<std::string> TemplatePlaceholders(const std::string& text, const std::string& where) {
  std::vector<std::string> names;
  Scan(
      text, where, [](const std::string&) {},
      [&](const std::string& name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      });
  return names;
}

void RequirePlaceholders(const std::string& text, const std::vector<std::string>& allowed, const std::string& where) {
  for (const auto& name : TemplatePlaceholders(text, where)) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string known;
    for (const auto& a : allowed) known += " {" + a + "}";
    Fail(where, ": unknown placeholder {", name, "}; this prompt knows", known);
  }
}

}  // namespace deeper
