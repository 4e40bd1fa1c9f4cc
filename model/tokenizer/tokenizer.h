// HF-compatible byte-level BPE tokenizer (Llama-3, Qwen2/Qwen3) read from tokenizer.json, without
// libtorch or Python. Encode/Decode give the ids and text HF tokenizers gives for the same files.
//
// A Tokenizer is cheap to copy (copies share the loaded model) and safe to use from several
// threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deeper {

class Tokenizer {
 public:
  // Loads DIR/tokenizer.json, plus DIR/tokenizer_config.json (special tokens, chat template) and
  // DIR/chat_template.jinja when they exist. Throws deeper::Error naming the file and field.
  static Tokenizer FromDirectory(const std::string& dir);

  // Builds a tokenizer from the texts of tokenizer.json and tokenizer_config.json (the latter may
  // be empty). `source` names them in error messages.
  static Tokenizer FromJson(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                            const std::string& source);

  // Ids of `text` (UTF-8; invalid UTF-8 is a deeper::Error). Added tokens in the text are always
  // recognised; `add_special_tokens` adds what the post-processor adds (Llama-3.1's
  // TemplateProcessing prepends <|begin_of_text|>; Qwen and the original Llama-3 add nothing).
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens) const;

  // Text of `ids`; bytes that do not form UTF-8 become U+FFFD as in HF. With
  // `skip_special_tokens`, added tokens marked special are left out. An id outside the vocabulary
  // is a deeper::Error.
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;

  // Id of a token given as its vocab text (byte-level form for model tokens, e.g. "Ġthe", or the
  // content of an added token); std::nullopt when unknown.
  std::optional<int32_t> FindTokenId(std::string_view token) const;
  // As FindTokenId, but an unknown token is a deeper::Error.
  int32_t TokenId(std::string_view token) const;

  // Special tokens from tokenizer_config.json; std::nullopt when not configured.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> pad_id() const;
  // Their texts ("" when not configured).
  const std::string& bos_token() const;
  const std::string& eos_token() const;

  // Whether `id` is an added token marked special.
  bool IsSpecial(int32_t id) const;
  // One past the largest id of the model vocabulary and the added tokens.
  int32_t vocab_size() const;
  // The Jinja chat template from the configuration ("" when there is none). Only used to choose
  // the details of a ChatFormat; templates are not executed.
  const std::string& chat_template() const;

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace deeper
