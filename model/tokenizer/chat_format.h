// Chat formats: a conversation rendered to the prompt text HF's apply_chat_template produces, and
// its ids. The Jinja templates are not executed; each format is written out by hand, and the few
// details that differ between checkpoints are read from the tokenizer's template text.
//
//  llama3: <|begin_of_text|> then per message
//          <|start_header_id|>{role}<|end_header_id|>\n\n{content, trimmed}<|eot_id|>
//          then <|start_header_id|>assistant<|end_header_id|>\n\n when a generation prompt is asked
//          for - or always, when the tokenizer's template never tests add_generation_prompt (the
//          original Llama-3 template appends it unconditionally, and HF follows the template).
//          Llama-3.1/3.2 templates (they write "Cutting Knowledge Date") always start with a system
//          turn: "Cutting Knowledge Date: December 2023\nToday Date: {date}\n\n{system message}".
//  chatml: per message <|im_start|>{role}\n{content}<|im_end|>\n, generation prompt
//          <|im_start|>assistant\n. With a Qwen3 template (it mentions enable_thinking) the Qwen3
//          rules apply: thinking off adds an empty <think>\n\n</think>\n\n block after the
//          generation prompt, and assistant turns after the last user query get their think block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/tokenizer/tokenizer.h"

namespace deeper {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (chatml with Qwen3 rules also: "tool")
  std::string content;
};

struct ChatFormatOptions {
  // Qwen3's enable_thinking. false (the default) renders the empty think block.
  bool enable_thinking = false;
  // Llama-3.1/3.2's "Today Date". 3.1's template defaults to this date; 3.2's asks HF for the
  // current date, which this fixed default deliberately does not follow (prompts stay reproducible).
  std::string date_string = "26 Jul 2024";
};

class ChatFormat {
 public:
  // `name` is "llama3" or "chatml"; anything else is a deeper::Error listing the names. The
  // tokenizer must have the format's control tokens.
  static ChatFormat ByName(std::string_view name, const Tokenizer& tokenizer, ChatFormatOptions options = {});

  // The prompt text.
  std::string Render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  // The prompt's ids (the rendered text encoded without adding special tokens, as HF does).
  std::vector<int32_t> RenderIds(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  const std::string& name() const { return name_; }

 private:
  enum class Kind { kLlama3, kChatMl };
  ChatFormat(Kind kind, std::string name, Tokenizer tokenizer) : kind_(kind), name_(std::move(name)), tokenizer_(std::move(tokenizer)) {}

  std::string RenderLlama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  std::string RenderChatMl(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  std::string RenderQwen3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  Kind kind_;
  std::string name_;
  Tokenizer tokenizer_;
  std::string bos_text_;
  bool always_assistant_header_ = false;  // llama3
  bool system_preamble_ = false;          // llama3 (3.1 and later)
  std::string date_string_;               // llama3 (3.1 and later)
  bool qwen3_rules_ = false;              // chatml
  bool enable_thinking_ = false;          // chatml with Qwen3 rules
};

}  // namespace deeper
