// The pipeline's prompts as token ids, without a model: warm start writes its training data before the
// models exist, and the data must be exactly what the pipeline will show them. The rendering mirrors
// stages/persona (ModelBundle::ChatPromptIds, PersonaPromptIds, the RatingPredictor's conversations):
// the same templates (config section `prompts`), the same item formatting, the same chat format.
// tests/warm_start checks the ids against ModelBundle's. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/tokenizer/chat_format.h"
#include "model/tokenizer/tokenizer.h"
#include "stages/persona/prompts.h"

namespace deeper {

class PromptRenderer {
 public:
  // `chat_format` is "llama3" or "chatml".
  PromptRenderer(const Tokenizer& tokenizer, const std::string& chat_format, PromptSet prompts);

  // A system + user conversation with the assistant's generation prompt (empty system: left out).
  std::vector<int64_t> Chat(const std::string& system, const std::string& user) const;
  // A persona-writing prompt: prompts.persona_system + `user_template` (`where`: its config key)
  // rendered with item_type, scale and `values`.
  std::vector<int64_t> Persona(const std::string& user_template, const std::string& where, const std::string& item_type,
                               const std::string& scale_text, const std::map<std::string, std::string>& values) const;
  // The predictor's conversation for one item (prompts.predict_system with the persona, predict_item).
  std::vector<int64_t> Predict(const std::string& persona, const std::string& item, const std::string& item_type,
                               const std::string& scale_text) const;
  // An assistant answer: the text's ids followed by the end-of-turn token.
  std::vector<int64_t> Completion(const std::string& text) const;

  const PromptSet& prompts() const { return prompts_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  int64_t end_of_turn() const { return end_of_turn_; }

 private:
  Tokenizer tokenizer_;
  std::shared_ptr<ChatFormat> chat_format_;
  PromptSet prompts_;
  int64_t end_of_turn_ = 0;
};

}  // namespace deeper
