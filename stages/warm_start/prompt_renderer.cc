#include "stages/warm_start/prompt_renderer.h"

#include <cstdint>

#include "stages/persona/prompt_template.h"

namespace deeper {

PromptRenderer::PromptRenderer(const Tokenizer& tokenizer, const std::string& chat_format, PromptSet prompts)
    : tokenizer_(tokenizer),
      chat_format_(std::make_shared<ChatFormat>(ChatFormat::ByName(chat_format, tokenizer))),
      prompts_(std::move(prompts)),
      // The token ModelBundle stops generation at (its stop tokens start with it).
      end_of_turn_(tokenizer.TokenId(chat_format == "chatml" ? "<|im_end|>" : "<|eot_id|>")) {}

std::vector<int64_t> PromptRenderer::Chat(const std::string& system, const std::string& user) const {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  const std::vector<int32_t> ids = chat_format_->RenderIds(messages, /*add_generation_prompt=*/true);
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<int64_t> PromptRenderer::Persona(const std::string& user_template, const std::string& where,
                                             const std::string& item_type, const std::string& scale_text,
                                             const std::map<std::string, std::string>& values) const {
  std::map<std::string, std::string> all = BaseValues(item_type, scale_text);
  for (const auto& [name, value] : values) all[name] = value;
  const std::string system = RenderTemplate(prompts_.persona_system, all, PromptConfigKey("persona_system"));
  return Chat(system, RenderTemplate(user_template, all, where));
}

std::vector<int64_t> PromptRenderer::Predict(const std::string& persona, const std::string& item,
                                             const std::string& item_type, const std::string& scale_text) const {
  std::map<std::string, std::string> values = BaseValues(item_type, scale_text);
  values["persona"] = persona;
  values["item"] = item;
  const std::string system = RenderTemplate(prompts_.predict_system, values, PromptConfigKey("predict_system"));
  return Chat(system, RenderTemplate(prompts_.predict_item, values, PromptConfigKey("predict_item")));
}

std::vector<int64_t> PromptRenderer::Completion(const std::string& text) const {
  const std::vector<int32_t> ids = tokenizer_.Encode(text, /*add_special_tokens=*/false);
  std::vector<int64_t> out(ids.begin(), ids.end());
  out.push_back(end_of_turn_);
  return out;
}

}  // namespace deeper
