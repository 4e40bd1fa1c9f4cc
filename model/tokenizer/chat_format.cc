#include "model/tokenizer/chat_format.h"

#include <cstdint>

#include "common/error.h"
#include "model/tokenizer/unicode.h"

namespace deeper {
namespace {

// Python's str.isspace, which Jinja's `trim` filter (str.strip) uses.
bool IsPythonSpace(char32_t cp) {
  return (cp >= 0x1C && cp <= 0x1F) || tokenizer::IsUnicodeWhitespace(cp);
}

// Jinja `trim`: Python str.strip() with no argument.
std::string_view PythonStrip(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t i = begin;
    if (!IsPythonSpace(tokenizer::NextCodePoint(s, i))) break;
    begin = i;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    if (!IsPythonSpace(tokenizer::NextCodePoint(s, i))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

// Python str.lstrip('\n'), rstrip('\n'), strip('\n').
std::string_view LStripNewlines(std::string_view s) {
  size_t i = s.find_first_not_of('\n');
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}
std::string_view RStripNewlines(std::string_view s) {
  size_t i = s.find_last_not_of('\n');
  return i == std::string_view::npos ? std::string_view() : s.substr(0, i + 1);
}
std::string_view StripNewlines(std::string_view s) { return RStripNewlines(LStripNewlines(s)); }

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void RequireTokens(const Tokenizer& tokenizer, std::string_view format, std::initializer_list<const char*> tokens) {
  for (const char* token : tokens) {
    DEEPER_REQUIRE(tokenizer.FindTokenId(token).has_value(), "chat format ", format, ": the tokenizer has no ",
                   token, " token");
  }
}

}  // namespace

ChatFormat ChatFormat::ByName(std::string_view name, const Tokenizer& tokenizer, ChatFormatOptions options) {
  const std::string& tmpl = tokenizer.chat_template();
  if (name == "llama3") {
    RequireTokens(tokenizer, name, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"});
    ChatFormat format(Kind::kLlama3, std::string(name), tokenizer);
    format.bos_text_ = tokenizer.bos_token().empty() ? "<|begin_of_text|>" : tokenizer.bos_token();
    RequireTokens(tokenizer, name, {format.bos_text_.c_str()});
    format.always_assistant_header_ = !tmpl.empty() && tmpl.find("add_generation_prompt") == std::string::npos;
    format.system_preamble_ = tmpl.find("Cutting Knowledge Date") != std::string::npos;
    format.date_string_ = options.date_string;
    return format;
  }
  if (name == "chatml") {
    RequireTokens(tokenizer, name, {"<|im_start|>", "<|im_end|>"});
    ChatFormat format(Kind::kChatMl, std::string(name), tokenizer);
    format.qwen3_rules_ = tmpl.find("enable_thinking") != std::string::npos;
    format.enable_thinking_ = options.enable_thinking;
    return format;
  }
  Fail("unknown chat format \"", name, "\" (known: llama3, chatml)");
}

std::string ChatFormat::Render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  for (size_t i = 0; i < messages.size(); ++i) {
    for (const std::string* text : {&messages[i].role, &messages[i].content}) {
      DEEPER_REQUIRE(tokenizer::FindInvalidUtf8(*text) == std::string_view::npos, "chat format ", name_,
                     ": message ", i, " is not valid UTF-8");
    }
  }
  switch (kind_) {
    case Kind::kLlama3:
      return RenderLlama3(messages, add_generation_prompt);
    case Kind::kChatMl:
      return qwen3_rules_ ? RenderQwen3(messages, add_generation_prompt)
                          : RenderChatMl(messages, add_generation_prompt);
  }
  return {};
}

std::vector<int32_t> ChatFormat::RenderIds(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  return tokenizer_.Encode(Render(messages, add_generation_prompt), /*add_special_tokens=*/false);
}

std::string ChatFormat::RenderLlama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  auto turn = [](std::string* out, std::string_view role, std::string_view content) {
    *out += "<|start_header_id|>";
    *out += role;
    *out += "<|end_header_id|>\n\n";
    *out += PythonStrip(content);
    *out += "<|eot_id|>";
  };
  std::string out;
  size_t first = 0;
  if (system_preamble_) {
    // Llama-3.1+: one system turn always comes first, carrying the dates and the (trimmed) system
    // message if the conversation starts with one.
    out += bos_text_;
    std::string system = "Cutting Knowledge Date: December 2023\nToday Date: " + date_string_ + "\n\n";
    if (!messages.empty() && messages[0].role == "system") {
      system += PythonStrip(messages[0].content);
      first = 1;
    }
    out += "<|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>";
  }
  for (size_t i = first; i < messages.size(); ++i) {
    if (system_preamble_ && (messages[i].role == "tool" || messages[i].role == "ipython")) {
      Fail("chat format llama3: message ", i, " has role \"", messages[i].role, "\"; tool turns are not supported");
    }
    if (i == 0 && !system_preamble_) out += bos_text_;
    turn(&out, messages[i].role, messages[i].content);
  }
  if (add_generation_prompt || always_assistant_header_) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string ChatFormat::RenderChatMl(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  std::string out;
  for (const ChatMessage& m : messages) {
    out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

// Qwen3's template, tools list excepted (this API has none).
std::string ChatFormat::RenderQwen3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  const size_t n = messages.size();
  // The last user turn that is a real query (not a wrapped tool response); assistant turns after
  // it carry their reasoning block.
  size_t last_query = n == 0 ? 0 : n - 1;
  for (size_t k = n; k-- > 0;) {
    const ChatMessage& m = messages[k];
    if (m.role == "user" && !(StartsWith(m.content, "<tool_response>") && EndsWith(m.content, "</tool_response>"))) {
      last_query = k;
      break;
    }
  }
  std::string out;
  if (n > 0 && messages[0].role == "system") out += "<|im_start|>system\n" + messages[0].content + "<|im_end|>\n";
  for (size_t i = 0; i < n; ++i) {
    const ChatMessage& m = messages[i];
    if (m.role == "user" || (m.role == "system" && i != 0)) {
      out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    } else if (m.role == "system") {
      continue;  // the first system message was written above
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      std::string_view reasoning;
      const std::string_view close = "</think>";
      size_t first_close = content.find(close);
      if (first_close != std::string_view::npos) {
        // content.split('</think>')[-1].lstrip('\n') and
        // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
        std::string_view before = RStripNewlines(content.substr(0, first_close));
        size_t open = before.rfind("<think>");
        reasoning = LStripNewlines(open == std::string_view::npos ? before : before.substr(open + 7));
        content = LStripNewlines(content.substr(content.rfind(close) + close.size()));
      }
      out += "<|im_start|>assistant\n";
      if (i > last_query && (i + 1 == n || !reasoning.empty())) {
        out += "<think>\n";
        out += StripNewlines(reasoning);
        out += "\n</think>\n\n";
        out += LStripNewlines(content);
      } else {
        out += content;
      }
      out += "<|im_end|>\n";
    } else if (m.role == "tool") {
      if (i == 0 || messages[i - 1].role != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + m.content + "\n</tool_response>";
      if (i + 1 == n || messages[i + 1].role != "tool") out += "<|im_end|>\n";
    } else {
      Fail("chat format chatml (Qwen3): message ", i, " has role \"", m.role,
           "\"; expected system, user, assistant or tool");
    }
  }
  if (add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    if (!enable_thinking_) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

}  // namespace deeper
