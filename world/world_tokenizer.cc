#include "world/world_tokenizer.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "world/bpe_trainer.h"

namespace deeper::world {
namespace {

using json = nlohmann::ordered_json;

// Llama-3's pre-tokenizer pattern: letters with one optional leading non-letter, 1-3 digit numbers,
// punctuation runs, line breaks and spaces.
constexpr const char* kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Llama-3.1's chat template, reduced to what the llama3 ChatFormat renders.
constexpr const char* kChatTemplate =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 "
    "%}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

constexpr const char* kBos = "<|begin_of_text|>";
constexpr const char* kEos = "<|eot_id|>";
constexpr const char* kPad = "<|finetune_right_pad_id|>";

// Pieces the Llama-3 pattern cuts from prompts and personas besides words.
const char* const kPunctuationPieces[] = {".", " .", ",", " ,", ":", " :", ";", "?", "!", "-", " -", "(", " (",
                                          ")", "):", "/", " /", "=", " =", "->", " ->", "|", " |", "\n", "\n\n",
                                          ".\n", ".\n\n", ":\n", ":\n\n", " \n", "'", "\"", " \"", "\",", "*", " *"};

// Special tokens match anywhere; clauses (not special) only as whole words, so " loves comedyx" is no clause.
json AddedTokenJson(const std::string& content, int id, bool special) {
  return json{{"id", id},           {"content", content}, {"single_word", !special}, {"lstrip", false},
              {"rstrip", false},    {"normalized", false}, {"special", special}};
}

json PreTokenizerJson() {
  return json{{"type", "Sequence"},
              {"pretokenizers",
               json::array({json{{"type", "Split"},
                                 {"pattern", json{{"Regex", kLlama3Pattern}}},
                                 {"behavior", "Isolated"},
                                 {"invert", false}},
                            json{{"type", "ByteLevel"},
                                 {"add_prefix_space", false},
                                 {"trim_offsets", true},
                                 {"use_regex", false}}})}};
}

json PostProcessorJson(int bos_id) {
  auto special = [](int type_id) { return json{{"SpecialToken", json{{"id", kBos}, {"type_id", type_id}}}}; };
  auto sequence = [](const char* id, int type_id) { return json{{"Sequence", json{{"id", id}, {"type_id", type_id}}}}; };
  return json{
      {"type", "Sequence"},
      {"processors",
       json::array(
           {json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}},
            json{{"type", "TemplateProcessing"},
                 {"single", json::array({special(0), sequence("A", 0)})},
                 {"pair", json::array({special(0), sequence("A", 0), special(1), sequence("B", 1)})},
                 {"special_tokens",
                  json{{kBos, json{{"id", kBos}, {"ids", json::array({bos_id})}, {"tokens", json::array({kBos})}}}}}}})}};
}

json ModelJson(const BpeModel& bpe) {
  json vocab = json::object();
  for (size_t id = 0; id < bpe.tokens.size(); ++id) vocab[bpe.tokens[id]] = static_cast<int>(id);
  json merges = json::array();
  // "left right" strings: every tokenizers version reads them, and byte-level tokens hold no space.
  for (const auto& [left, right] : bpe.merges) merges.push_back(left + " " + right);
  return json{{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false},
              {"ignore_merges", true},
              {"vocab", std::move(vocab)},
              {"merges", std::move(merges)}};
}

// `added` is tokenizer.json's added_tokens: the same entries keyed by id.
std::string ConfigJson(const json& added) {
  json decoder = json::object();
  for (const json& token : added) {
    json entry = token;
    entry.erase("id");
    decoder[std::to_string(token["id"].get<int>())] = std::move(entry);
  }
  // clean_up_tokenization_spaces stays off: it would turn the persona's " ." into ".".
  json config{{"added_tokens_decoder", std::move(decoder)},
              {"bos_token", kBos},
              {"chat_template", kChatTemplate},
              {"clean_up_tokenization_spaces", false},
              {"eos_token", kEos},
              {"model_input_names", json::array({"input_ids", "attention_mask"})},
              {"model_max_length", 2048},
              {"pad_token", kPad},
              {"tokenizer_class", "PreTrainedTokenizerFast"}};
  return config.dump(2) + "\n";
}

std::string Capitalised(const std::string& word) {
  std::string out = word;
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

}  // namespace

const std::vector<std::string>& WorldSpecialTokens() {
  static const std::vector<std::string> tokens = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                                  "<|end_header_id|>", "<|eot_id|>", kPad};
  return tokens;
}

const std::vector<std::string>& DefaultPromptWords() {
  static const std::vector<std::string> words = [] {
    const char* const base[] = {
        "system", "user", "assistant", "persona", "personas", "profile", "item", "items", "rating", "ratings", "rated",
        "rate", "rates", "true", "predicted", "prediction", "predictions", "predict", "actual", "error", "score",
        "stars", "star", "new", "old", "current", "previous", "next", "window", "history", "update", "updated",
        "refine", "refined", "write", "rewrite", "describe", "given", "based", "on", "the", "a", "an", "of", "and",
        "or", "to", "for", "in", "is", "are", "this", "that", "with", "from", "by", "as", "not", "no", "only",
        "each", "every", "their", "his", "her", "its", "what", "how", "would", "will", "should", "output", "answer",
        "reply", "one", "number", "between", "likely", "tastes", "taste", "preferences", "genre", "genres", "rater",
        "here", "below", "above", "following", "name", "names", "mention", "do", "does", "quote", "scores"};
    std::vector<std::string> out;
    for (const char* w : base) {
      out.emplace_back(w);
      out.push_back(Capitalised(w));
    }
    return out;
  }();
  return words;
}

std::vector<std::string> WorldTokenizerPieces(const Lexicon& lexicon, const std::string& item_type,
                                              const std::vector<std::string>& extra_words) {
  std::vector<std::string> words = lexicon.AllWords();
  words.push_back(item_type);
  words.insert(words.end(), extra_words.begin(), extra_words.end());
  std::vector<std::string> pieces;
  auto add = [&](const std::string& piece) {
    if (!piece.empty() && std::find(pieces.begin(), pieces.end(), piece) == pieces.end()) pieces.push_back(piece);
  };
  for (const std::string& word : words) {
    add(word);
    add(" " + word);
  }
  for (const char* piece : kPunctuationPieces) add(piece);
  return pieces;
}

std::vector<std::string> ClauseTokens(const Lexicon& lexicon) {
  std::vector<std::string> clauses;
  for (int bias = kMinBias; bias <= kMaxBias; ++bias) {
    clauses.push_back(" " + std::string(BiasWord(bias)) + " " + std::string(kRaterWord));
  }
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (int g = 0; g < lexicon.num_genres(); ++g) {
      clauses.push_back(" " + std::string(LevelWord(level)) + " " + lexicon.genre(g).name);
    }
  }
  return clauses;
}

TokenizerFiles BuildWorldTokenizer(const Lexicon& lexicon, const std::string& item_type, bool clause_tokens,
                                   const std::vector<std::string>& extra_words) {
  const std::vector<std::string> pieces = WorldTokenizerPieces(lexicon, item_type, extra_words);
  const BpeModel bpe = TrainByteLevelBpe(pieces);
  // The trainer merges until each piece is one symbol; check it as an encoder would see it.
  const BpeMerger merger(bpe);
  for (const std::string& piece : pieces) {
    DEEPER_REQUIRE(merger.Apply(piece).size() == 1, "world tokenizer: piece '", piece,
                   "' does not encode to one token");
  }
  const int first_added = static_cast<int>(bpe.tokens.size());
  json added = json::array();
  const std::vector<std::string>& specials = WorldSpecialTokens();
  const auto add = [&](const std::string& content, bool special) {
    added.push_back(AddedTokenJson(content, first_added + static_cast<int>(added.size()), special));
  };
  for (const std::string& token : specials) add(token, /*special=*/true);
  // Clauses are text (decoded, never skipped), only matched before pre-tokenization.
  if (clause_tokens) {
    for (const std::string& clause : ClauseTokens(lexicon)) add(clause, /*special=*/false);
  }
  const int added_count = static_cast<int>(added.size());
  std::string config_json = ConfigJson(added);
  json tokenizer{{"version", "1.0"},
                 {"truncation", nullptr},
                 {"padding", nullptr},
                 {"added_tokens", std::move(added)},
                 {"normalizer", nullptr},
                 {"pre_tokenizer", PreTokenizerJson()},
                 {"post_processor", PostProcessorJson(first_added)},
                 {"decoder", json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
                 {"model", ModelJson(bpe)}};
  TokenizerFiles files;
  files.tokenizer_json = tokenizer.dump(2) + "\n";
  files.tokenizer_config_json = std::move(config_json);
  files.vocab_size = first_added + added_count;
  return files;
}

void WriteTokenizerFiles(const std::string& dir, const TokenizerFiles& files) {
  MakeDirs(dir);
  WriteFileAtomic(dir + "/tokenizer.json", files.tokenizer_json);
  WriteFileAtomic(dir + "/tokenizer_config.json", files.tokenizer_config_json);
}

}  // namespace deeper::world
