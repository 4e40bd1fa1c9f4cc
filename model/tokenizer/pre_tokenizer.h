// The Split pre-tokenizer regexes of byte-level BPE tokenizers, matched by hand.
//
// HF runs these patterns with Oniguruma: leftmost-first alternation, each alternative greedy with
// backtracking. Every alternative of the known patterns has a small, fixed backtracking behaviour,
// so each one is coded as a function that returns where its (first) match ends, and the pattern is
// the ordered list of its alternatives. A pattern string from tokenizer.json is split into its
// top-level alternatives; each must be one we know, or loading fails with the offending text.
// Known: Llama-3 (`\p{N}{1,3}`), Qwen2/Qwen3 (`\p{N}`) and GPT-2 (ByteLevel's own `use_regex`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deeper::tokenizer {

// A [begin, end) byte range of the text being split.
struct Span {
  uint32_t begin;
  uint32_t end;
};

class SplitPattern {
 public:
  // Parses a Split regex. `where` names the file and field for the error message.
  static SplitPattern Parse(std::string_view regex, const std::string& where);
  // The GPT-2 pattern that ByteLevel applies when its `use_regex` is true.
  static SplitPattern Gpt2();

  // Appends to `out` the pieces of `text` (valid UTF-8) with "Isolated" behaviour: every match is
  // a piece, and so is every stretch between matches. Offsets are relative to `text`.
  void Split(std::string_view text, std::vector<Span>* out) const;

  // The pattern's regex text, for messages.
  const std::string& source() const { return source_; }

  enum class Alternative : uint8_t {
    kContractionsAnyCase,  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    kLiteral,              // a fixed string, e.g. GPT-2's case-sensitive 's
    kWordWithPrefix,       // [^\r\n\p{L}\p{N}]?\p{L}+
    kOptSpaceLetters,      // ' ?\p{L}+'
    kOptSpaceNumbers,      // ' ?\p{N}+'
    kNumbersUpTo3,         // \p{N}{1,3}
    kNumber,               // \p{N}
    kPunctWithNewlines,    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    kOptSpacePunct,        // ' ?[^\s\p{L}\p{N}]+'
    kSpacesToNewline,      // \s*[\r\n]+
    kSpacesNotBeforeText,  // \s+(?!\S)
    kSpaces,               // \s+
  };

 private:
  struct Alt {
    Alternative kind;
    std::u32string literal;  // for kLiteral
  };
  std::vector<Alt> alts_;
  std::string source_;
};

}  // namespace deeper::tokenizer
