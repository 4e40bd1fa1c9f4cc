// Text preference pairs -> token ids, as LLaMA-Factory's pairwise processor builds them: the prompt is
// the chat-formatted conversation with the assistant generation prompt; each completion is the answer
// followed by the format's end-of-turn (llama3: "<|eot_id|>", chatml: "<|im_end|>\n"), encoded on its
// own (prompt and answer are encoded separately, so no BPE merge crosses the boundary).
#pragma once

#include <string>
#include <vector>

#include "model/tokenizer/tokenizer.h"
#include "train/pairs.h"
#include "train/pairs_json.h"

namespace deeper {

// `chat_format` is a model/tokenizer/chat_format.h name ("llama3", "chatml").
std::vector<PreferencePair> TokenizePairs(const std::vector<TextPreferencePair>& pairs, const Tokenizer& tokenizer,
                                          const std::string& chat_format);

// Reads pairs from a pair shard (.h5) or a LLaMA-Factory dataset (JSON/JSONL file, or a directory with
// dataset_info.json; `dataset` names the entry), tokenizing the latter with `tokenizer_dir`.
PairSet LoadPairs(const std::string& path, const std::string& dataset, const std::string& tokenizer_dir,
                  const std::string& chat_format);

}  // namespace deeper
