#include "model/tokenizer/added_tokens.h"

#include <algorithm>
#include <cstdint>

#include "model/tokenizer/unicode.h"

namespace deeper::tokenizer {
namespace {

// Is the text just before `pos` (within [begin, pos)) a word character?
bool EndsWithWord(std::string_view text, size_t begin, size_t pos) {
  return pos > begin && IsWordChar(PreviousCodePoint(text.substr(0, pos), pos));
}

bool StartsWithWord(std::string_view text, size_t pos, size_t end) {
  if (pos >= end) return false;
  size_t i = pos;
  return IsWordChar(NextCodePoint(text, i));
}

// Start of the whitespace run that ends at `pos` (no earlier than `begin`).
size_t WhitespaceStartBefore(std::string_view text, size_t begin, size_t pos) {
  while (pos > begin) {
    size_t prev = pos - 1;
    while (prev > begin && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
    size_t i = prev;
    if (!IsUnicodeWhitespace(NextCodePoint(text, i))) break;
    pos = prev;
  }
  return pos;
}

// End of the whitespace run that starts at `pos` (no later than `end`).
size_t WhitespaceEndAfter(std::string_view text, size_t pos, size_t end) {
  while (pos < end) {
    size_t i = pos;
    if (!IsUnicodeWhitespace(NextCodePoint(text, i))) break;
    pos = i;
  }
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens,
                                     const std::vector<std::string>& patterns)
    : tokens_(tokens) {
  nodes_.emplace_back();
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::string& pattern = patterns[t];
    if (pattern.empty()) continue;  // HF ignores empty added tokens
    first_byte_[static_cast<unsigned char>(pattern[0])] = true;
    int32_t node = 0;
    for (unsigned char b : pattern) {
      int32_t next = Child(node, b);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& children = nodes_[node].children;
        auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(b, int32_t{-1}));
        children.insert(it, {b, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    // Two tokens with the same text: the later definition wins, like HF's content -> id map.
    nodes_[node].token = static_cast<int32_t>(t);
  }
}

int32_t AddedTokenMatcher::Child(int32_t node, unsigned char b) const {
  const auto& children = nodes_[node].children;
  auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(b, int32_t{-1}));
  return (it != children.end() && it->first == b) ? it->second : -1;
}

int32_t AddedTokenMatcher::LongestAt(std::string_view text, size_t pos, size_t end, size_t* match_end) const {
  int32_t node = 0;
  int32_t best = -1;
  for (size_t i = pos; i < end; ++i) {
    node = Child(node, static_cast<unsigned char>(text[i]));
    if (node < 0) break;
    if (nodes_[node].token >= 0) {
      best = nodes_[node].token;
      *match_end = i + 1;
    }
  }
  return best;
}

void AddedTokenMatcher::Split(std::string_view text, uint32_t begin, uint32_t end, std::vector<Piece>* out) const {
  if (tokens_.empty()) {
    if (begin < end) out->push_back({begin, end, -1});
    return;
  }
  size_t pending = begin;  // start of text not yet emitted
  size_t pos = begin;
  while (pos < end) {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    size_t match_end = 0;
    int32_t t = LongestAt(text, pos, end, &match_end);
    if (t < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[t];
    size_t start = pos;
    size_t stop = match_end;
    // The search resumes after the match itself, whether or not it is kept (as with HF's
    // non-overlapping Aho-Corasick iteration).
    pos = match_end;
    if (token.single_word && (EndsWithWord(text, begin, start) || StartsWithWord(text, stop, end))) {
      continue;
    }
    // A match that starts inside whitespace an earlier rstrip token already took cannot be
    // represented (HF would produce overlapping pieces); it is left as text.
    if (start < pending) continue;
    if (token.lstrip) start = std::max(WhitespaceStartBefore(text, begin, start), pending);
    if (token.rstrip) stop = WhitespaceEndAfter(text, stop, end);
    if (pending < start) out->push_back({static_cast<uint32_t>(pending), static_cast<uint32_t>(start), -1});
    out->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(stop), token.id});
    pending = stop;
  }
  if (pending < end) out->push_back({static_cast<uint32_t>(pending), end, -1});
}

}  // namespace deeper::tokenizer
