// A loaded model with everything needed to prompt it: the transformer (with its LoRA adapter merged
// in), the tokenizer, the chat format and the ids that end an assistant turn. Stages load one bundle
// per model in Prepare(), i.e. once per stage per rank, and share it across their shards.
//
// The header is torch-free (the transformer is only forward-declared), so units that merely pass a
// bundle around do not pay libtorch's compile cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/tokenizer/chat_format.h"
#include "model/tokenizer/tokenizer.h"
#include "stages/persona/model_spec.h"

namespace deeper {

class Transformer;

class ModelBundle {
 public:
  // Loads spec.path (config.json + safetensors) on spec.device in spec.dtype, the tokenizer from
  // spec.tokenizer_dir(), and spec.adapter when set. The adapter is merged into the weights: bundles
  // are for inference, and a merged model decodes as fast as the base model. Errors name the entry.
  static std::unique_ptr<ModelBundle> Load(const ModelSpec& spec);
  ~ModelBundle();
  ModelBundle(const ModelBundle&) = delete;
  ModelBundle& operator=(const ModelBundle&) = delete;

  const ModelSpec& spec() const { return spec_; }
  const Transformer& model() const { return *model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatFormat& chat_format() const { return *chat_format_; }

  // Ids that end a generated turn: the chat format's end-of-turn token (<|eot_id|>, <|im_end|>) and
  // the eos ids of tokenizer_config.json and config.json, deduplicated, ascending.
  const std::vector<int64_t>& stop_tokens() const { return stop_tokens_; }

  // The ids of a conversation of one system and one user message followed by the assistant's
  // generation prompt, as HF's apply_chat_template(..., add_generation_prompt=True) renders it.
  // An empty system text leaves the system message out.
  std::vector<int64_t> ChatPromptIds(const std::string& system, const std::string& user) const;

  // Text of generated ids, special tokens (the stop token) left out.
  std::string Decode(const std::vector<int64_t>& ids) const;

 private:
  ModelBundle() = default;
  ModelSpec spec_;
  std::unique_ptr<Transformer> model_;
  std::unique_ptr<Tokenizer> tokenizer_;  // Tokenizer has no empty state: set by Load.
  std::unique_ptr<ChatFormat> chat_format_;
  std::vector<int64_t> stop_tokens_;
};

}  // namespace deeper
