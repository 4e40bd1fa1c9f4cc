#include "train/pairs_tokenize.h"

#include <cstdint>
#include <filesystem>

#include "common/error.h"
#include "model/tokenizer/chat_format.h"

namespace deeper {
namespace {

std::vector<int64_t> Widen(const std::vector<int32_t>& ids) { return std::vector<int64_t>(ids.begin(), ids.end()); }

// Jinja's trim, which the llama3 template applies to every message.
std::string Trim(const std::string& text) {
  const char* space = " \t\n\r\f\v";
  const size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

std::string AnswerText(const std::string& answer, const ChatFormat& format) {
  if (format.name() == "llama3") return Trim(answer) + "<|eot_id|>";
  return answer + "<|im_end|>\n";
}

bool IsShard(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".h5" || ext == ".hdf5";
}

}  // namespace

std::vector<PreferencePair> TokenizePairs(const std::vector<TextPreferencePair>& pairs, const Tokenizer& tokenizer,
                                          const std::string& chat_format) {
  const ChatFormat format = ChatFormat::ByName(chat_format, tokenizer);
  std::vector<PreferencePair> out;
  out.reserve(pairs.size());
  for (const TextPreferencePair& text : pairs) {
    std::vector<ChatMessage> messages;
    for (const ChatTurn& turn : text.prompt) messages.push_back({turn.role, turn.content});
    PreferencePair pair;
    pair.prompt_ids = Widen(format.RenderIds(messages, /*add_generation_prompt=*/true));
    pair.chosen_ids = Widen(tokenizer.Encode(AnswerText(text.chosen, format), /*add_special_tokens=*/false));
    pair.rejected_ids = Widen(tokenizer.Encode(AnswerText(text.rejected, format), /*add_special_tokens=*/false));
    out.push_back(std::move(pair));
  }
  return out;
}

PairSet LoadPairs(const std::string& path, const std::string& dataset, const std::string& tokenizer_dir,
                  const std::string& chat_format) {
  if (IsShard(path)) return ReadPairShard(path);
  DEEPER_REQUIRE(!tokenizer_dir.empty(), path, ": a LLaMA-Factory dataset needs a tokenizer directory");
  const Tokenizer tokenizer = Tokenizer::FromDirectory(tokenizer_dir);
  PairSet set;
  set.pairs = TokenizePairs(ReadLlamaFactoryPairs(path, dataset), tokenizer, chat_format);
  for (size_t i = 0; i < set.pairs.size(); ++i) {
    ValidatePair(set.pairs[i], 0, path + ": record " + std::to_string(i));
  }
  return set;
}

}  // namespace deeper
