// The world's tokenizer as Hugging Face files: a byte-level BPE tokenizer.json in Llama-3's layout
// (its Split regex, ByteLevel, <|begin_of_text|> prepended, ignore_merges) trained so that every world
// word is one token alone and after a space, plus tokenizer_config.json with the llama3 chat template.
// Digits are single bytes, so ratings 1..5 are one token each. Optionally each persona clause is one
// added token as well (ClauseTokens).
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"

namespace deeper::world {

// The added tokens, in id order after the BPE vocabulary: the llama3 chat format's control tokens
// and a padding token.
const std::vector<std::string>& WorldSpecialTokens();

// English words prompts around the world are likely to use ("user", "persona", "rating", ...), in
// lower case and capitalised; each becomes one token too.
const std::vector<std::string>& DefaultPromptWords();

// The training pieces: every word (world words, item_type, extra words) alone and after a space,
// plus punctuation and line-break pieces that prompts use.
std::vector<std::string> WorldTokenizerPieces(const Lexicon& lexicon, const std::string& item_type,
                                              const std::vector<std::string>& extra_words);

struct TokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
  int vocab_size = 0;  // BPE tokens + added tokens
};

// The persona clauses that become one token each with `clause_tokens` (see WorldConfig): " harsh rater",
// ..., " hates horror", ..., " ignores comedy", ... The leading space: a clause always follows another
// or a prompt word (a persona at the very start of a text keeps two tokens for its first clause).
// The closing " ." stays a token of its own; absorbing it too made the predictor learn more slowly.
std::vector<std::string> ClauseTokens(const Lexicon& lexicon);

TokenizerFiles BuildWorldTokenizer(const Lexicon& lexicon, const std::string& item_type, bool clause_tokens = true,
                                   const std::vector<std::string>& extra_words = DefaultPromptWords());

// Writes DIR/tokenizer.json and DIR/tokenizer_config.json atomically (DIR is created).
void WriteTokenizerFiles(const std::string& dir, const TokenizerFiles& files);

}  // namespace deeper::world
