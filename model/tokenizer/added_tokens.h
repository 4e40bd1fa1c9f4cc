// Added tokens (tokenizer.json `added_tokens`): found in the text before pre-tokenization.
//
// As HF does, tokens are searched leftmost-longest; a `single_word` token must not touch word
// characters on either side; `lstrip`/`rstrip` tokens swallow the whitespace before/after them.
// Tokens with `normalized: false` are searched in the raw text, the others in the normalized
// text (their own content normalized the same way).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deeper::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

// A piece of text after extraction: either an added token (id >= 0) or text to tokenize.
struct Piece {
  uint32_t begin;
  uint32_t end;
  int32_t id;  // -1 for plain text
};

// Finds one set of added tokens in text. Built over a byte trie: a table of possible first bytes
// lets the scan skip most positions without touching the trie.
class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // `patterns[i]` is what is searched for `tokens[i]` (its content, normalized or not).
  AddedTokenMatcher(const std::vector<AddedToken>& tokens, const std::vector<std::string>& patterns);

  bool empty() const { return tokens_.empty(); }

  // Appends the pieces of text[begin, end) to `out`, covering the range in order.
  void Split(std::string_view text, uint32_t begin, uint32_t end, std::vector<Piece>* out) const;

 private:
  struct Node {
    int32_t token = -1;  // index into tokens_ of the pattern ending here
    std::vector<std::pair<unsigned char, int32_t>> children;  // sorted by byte
  };
  int32_t Child(int32_t node, unsigned char b) const;
  // Longest pattern starting at text[pos] within [.., end): token index and its end, or -1.
  int32_t LongestAt(std::string_view text, size_t pos, size_t end, size_t* match_end) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;
  bool first_byte_[256] = {};
};

}  // namespace deeper::tokenizer
