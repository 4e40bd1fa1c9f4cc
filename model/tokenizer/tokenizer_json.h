// Reading tokenizer.json and tokenizer_config.json into a plain description of the tokenizer.
// Everything unsupported or malformed is a deeper::Error naming the file and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer/added_tokens.h"
#include "model/tokenizer/bpe.h"
#include "model/tokenizer/normalizer.h"
#include "model/tokenizer/pre_tokenizer.h"

namespace deeper::tokenizer {

struct TokenizerSpec {
  // model (BPE)
  std::vector<VocabEntry> vocab;
  std::vector<MergeRule> merges;  // rank = index
  bool ignore_merges = false;
  // added_tokens
  std::vector<AddedToken> added_tokens;
  // normalizer
  NormalizerKind normalizer = NormalizerKind::kNone;
  // pre_tokenizer: the Split patterns in order, then ByteLevel (whose own GPT-2 regex, when
  // enabled, is the last entry of `splits`). ByteLevel's add_prefix_space applies to every piece
  // that reaches it, i.e. to the pieces of the first `byte_level_index` splits.
  std::vector<SplitPattern> splits;
  bool add_prefix_space = false;
  size_t byte_level_index = 0;
  // post_processor, for a single sequence with add_special_tokens
  std::vector<int32_t> prefix_ids;
  std::vector<int32_t> suffix_ids;

  // tokenizer_config.json (all optional); config_source names it in messages
  std::string config_source;
  std::optional<std::string> bos_token;
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;
  std::string chat_template;  // empty when there is none
};

// `path` is used in messages only.
TokenizerSpec ParseTokenizerJson(std::string_view text, const std::string& path);

// Fills the tokenizer_config.json part of `spec`.
void ParseTokenizerConfig(std::string_view text, const std::string& path, TokenizerSpec* spec);

}  // namespace deeper::tokenizer
