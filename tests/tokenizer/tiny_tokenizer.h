// A small byte-level BPE tokenizer.json built in code, for tests of single features and of errors.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/files.h"
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/unicode.h"

namespace deeper::testing {

using json = nlohmann::json;

inline constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The byte-level text of raw bytes ("a b" -> "aĠb").
inline std::string ByteLevel(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) tokenizer::AppendUtf8(out, tokenizer::ByteToChar(b));
  return out;
}

// Vocab: the 256 bytes (id = byte value), then the merges below (ids 256..), in rank order:
//   "Ġ t" -> "Ġt" (256), "h e" -> "he" (257), "Ġt he" -> "Ġthe" (258), "x y" -> "xy" (259);
// plus "xyz" (260), reachable only as a whole word (ignore_merges). No added tokens, no
// normalizer, Llama-3 Split + ByteLevel, ByteLevel post-processor and decoder.
inline json TinyTokenizerJson() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[ByteLevel(std::string(1, static_cast<char>(b)))] = b;
  vocab[ByteLevel(" t")] = 256;
  vocab["he"] = 257;
  vocab[ByteLevel(" the")] = 258;
  vocab["xy"] = 259;
  vocab["xyz"] = 260;
  json merges = json::array({ByteLevel(" ") + " t", "h e", ByteLevel(" t") + " he", "x y"});
  json split = {{"type", "Split"}, {"pattern", {{"Regex", kLlama3Pattern}}}, {"behavior", "Isolated"}, {"invert", false}};
  json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  return {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", json::array({split, byte_level})}}},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

inline json AddedTokenJson(int id, const std::string& content, bool special, bool lstrip = false, bool rstrip = false,
                           bool single_word = false, bool normalized = false) {
  return {{"id", id},          {"content", content}, {"single_word", single_word}, {"lstrip", lstrip},
          {"rstrip", rstrip},  {"normalized", normalized}, {"special", special}};
}

// A fresh directory under the system temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("deeper_tokenizer_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    deeper::TryRemoveTree(path_);
    MakeDirs(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    deeper::TryRemoveTree(path_);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& contents) const {
    std::string file = path_ + "/" + name;
    WriteFileAtomic(file, contents);
    return file;
  }

 private:
  std::string path_;
};

}  // namespace deeper::testing
