#include "stages/persona/persona_text.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>

namespace deeper {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string Strip(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && IsSpace(text[begin])) ++begin;
  while (end > begin && IsSpace(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// The longest prefix of at most max_chars bytes that ends at a word boundary (or, without one in the
// second half, at a UTF-8 character boundary).
std::string Clip(const std::string& text, size_t max_chars) {
  size_t end = max_chars;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a character
  size_t space = end;
  while (space > 0 && !IsSpace(text[space])) --space;
  if (space > max_chars / 2) end = space;
  return Strip(text.substr(0, end));
}

bool IsDegenerate(const std::string& text, double min_ratio) {
  std::istringstream in(text);
  std::string word;
  size_t words = 0;
  std::set<std::string> distinct;
  while (in >> word) {
    ++words;
    distinct.insert(word);
  }
  return words >= 12 && static_cast<double>(distinct.size()) < min_ratio * static_cast<double>(words);
}

}  // namespace

std::string PersonaFlagNames(int64_t flags) {
  static const std::pair<int64_t, const char*> kNames[] = {{kPersonaEmpty, "empty"},
                                                           {kPersonaTruncated, "truncated"},
                                                           {kPersonaDegenerate, "degenerate"},
                                                           {kPersonaClipped, "clipped"},
                                                           {kPersonaTooShort, "too_short"}};
  std::string names;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!names.empty()) names += "|";
    names += name;
  }
  return names;
}

CleanPersona CleanPersonaText(const std::string& decoded, bool stopped, const PersonaTextOptions& options) {
  CleanPersona out;
  out.text = Strip(decoded);
  if (!stopped) out.flags |= kPersonaTruncated;
  if (options.max_chars > 0 && out.text.size() > static_cast<size_t>(options.max_chars)) {
    out.text = Clip(out.text, static_cast<size_t>(options.max_chars));
    out.flags |= kPersonaClipped;
  }
  if (out.text.empty()) {
    out.flags |= kPersonaEmpty;
  } else if (out.text.size() < static_cast<size_t>(std::max<int64_t>(options.min_chars, 0))) {
    out.flags |= kPersonaTooShort;
  }
  if (IsDegenerate(out.text, options.min_distinct_word_ratio)) out.flags |= kPersonaDegenerate;
  return out;
}

}  // namespace deeper
