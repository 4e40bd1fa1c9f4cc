// Malformed or unsupported tokenizer.json / tokenizer_config.json: a deeper::Error that names the
// file and the field, never a crash.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/tokenizer/tiny_tokenizer.h"

namespace deeper {
namespace {

using deeper::testing::json;
using deeper::testing::TempDir;
using deeper::testing::TinyTokenizerJson;

// Loads a directory holding `tokenizer_json` (and `config` when given) and returns the error text.
std::string LoadError(const std::string& tokenizer_json, const std::string& config = "") {
  TempDir dir;
  dir.Write("tokenizer.json", tokenizer_json);
  if (!config.empty()) dir.Write("tokenizer_config.json", config);
  try {
    Tokenizer::FromDirectory(dir.path());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string Mutated(const std::function<void(json&)>& edit) {
  json j = TinyTokenizerJson();
  edit(j);
  return LoadError(j.dump());
}

// The message names tokenizer.json and contains every expected fragment.
#define EXPECT_ERROR_MENTIONS(message, file, ...)                                                    \
  do {                                                                                               \
    const std::string m_ = (message);                                                                \
    ASSERT_FALSE(m_.empty()) << "expected a load error";                                             \
    EXPECT_NE(m_.find(file), std::string::npos) << m_;                                               \
    for (const char* part : {__VA_ARGS__}) EXPECT_NE(m_.find(part), std::string::npos) << m_;        \
  } while (0)

TEST(tokenizer_json_errors, TheTinyTokenizerItselfLoads) { EXPECT_EQ(LoadError(TinyTokenizerJson().dump()), ""); }

TEST(tokenizer_json_errors, MissingVocab) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"].erase("vocab"); }), "tokenizer.json", "\"model.vocab\"",
                        "missing");
}

TEST(tokenizer_json_errors, MissingModel) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j.erase("model"); }), "tokenizer.json", "\"model\"", "missing");
}

TEST(tokenizer_json_errors, VocabOfWrongType) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["vocab"] = json::array(); }), "tokenizer.json",
                        "\"model.vocab\"", "must be an object, got an array");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["vocab"]["a"] = "one"; }), "tokenizer.json",
                        "model.vocab[\"a\"]", "token id");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["vocab"]["a"] = -3; }), "tokenizer.json",
                        "model.vocab[\"a\"]", "-3");
}

TEST(tokenizer_json_errors, MergesOfWrongType) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"] = json::object(); }), "tokenizer.json",
                        "\"model.merges\"", "must be an array, got an object");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"][1] = 7; }), "tokenizer.json",
                        "\"model.merges[1]\"", "got an integer");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"][2] = "nospace"; }), "tokenizer.json",
                        "\"model.merges[2]\"", "nospace");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"][0] = json::array({"a", "b", "c"}); }),
                        "tokenizer.json", "\"model.merges[0]\"", "3 elements");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"][0] = json::array({"a", 1}); }),
                        "tokenizer.json", "\"model.merges[0][1]\"", "must be a string");
}

TEST(tokenizer_json_errors, MergeOutsideTheVocab) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"].push_back("q z"); }), "tokenizer.json",
                        "\"model.merges[4]\"", "\"qz\"", "not in model.vocab");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["merges"].push_back("zebra z"); }), "tokenizer.json",
                        "\"model.merges[4]\"", "\"zebra\"");
}

TEST(tokenizer_json_errors, UnknownPreTokenizerPattern) {
  EXPECT_ERROR_MENTIONS(
      Mutated([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = R"(\p{N}{1,5}|\w+|\s+)"; }),
      "tokenizer.json", "pre_tokenizer.pretokenizers[0].pattern.Regex", "unsupported Split pattern", "\\p{N}{1,5}");
  EXPECT_ERROR_MENTIONS(
      Mutated([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", " "}}; }),
      "tokenizer.json", "pre_tokenizer.pretokenizers[0].pattern", "Regex");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }),
                        "tokenizer.json", "pre_tokenizer.pretokenizers[0].behavior", "Isolated");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }), "tokenizer.json",
                        "pre_tokenizer", "Metaspace");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["pre_tokenizer"]["pretokenizers"].erase(1); }), "tokenizer.json",
                        "pre_tokenizer", "ByteLevel");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j.erase("pre_tokenizer"); }), "tokenizer.json", "pre_tokenizer",
                        "missing");
}

TEST(tokenizer_json_errors, UnsupportedComponents) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["type"] = "WordPiece"; }), "tokenizer.json", "model.type",
                        "WordPiece");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["dropout"] = 0.1; }), "tokenizer.json", "model.dropout");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["byte_fallback"] = true; }), "tokenizer.json",
                        "model.byte_fallback");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["model"]["ignore_merges"] = "yes"; }), "tokenizer.json",
                        "model.ignore_merges", "must be a boolean");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["normalizer"] = {{"type", "Lowercase"}}; }), "tokenizer.json",
                        "normalizer.type", "Lowercase");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }), "tokenizer.json",
                        "decoder", "ByteLevel");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j.erase("decoder"); }), "tokenizer.json", "decoder", "missing");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["post_processor"] = {{"type", "BertProcessing"}}; }),
                        "tokenizer.json", "post_processor.type", "BertProcessing");
  EXPECT_ERROR_MENTIONS(
      Mutated([](json& j) {
        j["post_processor"] = {{"type", "TemplateProcessing"},
                               {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                           {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
                               {"special_tokens", json::object()}};
      }),
      "tokenizer.json", "post_processor.special_tokens", "<s>");
}

TEST(tokenizer_json_errors, AddedTokens) {
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["added_tokens"] = json::array({{{"content", "<x>"}}}); }),
                        "tokenizer.json", "\"added_tokens[0].id\"", "missing");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["added_tokens"] = json::array({{{"id", 300}, {"content", 5}}}); }),
                        "tokenizer.json", "\"added_tokens[0].content\"", "must be a string");
  EXPECT_ERROR_MENTIONS(Mutated([](json& j) { j["added_tokens"] = {{"id", 1}}; }), "tokenizer.json",
                        "\"added_tokens\"", "must be an array");
}

TEST(tokenizer_json_errors, NotJsonOrNotAnObject) {
  EXPECT_ERROR_MENTIONS(LoadError("{\"model\": "), "tokenizer.json", "not valid JSON");
  EXPECT_ERROR_MENTIONS(LoadError("[1, 2]"), "tokenizer.json", "must be an object");
  EXPECT_ERROR_MENTIONS(LoadError(""), "tokenizer.json", "not valid JSON");
}

TEST(tokenizer_json_errors, MissingFile) {
  TempDir dir;
  try {
    Tokenizer::FromDirectory(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
  }
}

TEST(tokenizer_json_errors, TokenizerConfig) {
  const std::string tj = TinyTokenizerJson().dump();
  EXPECT_ERROR_MENTIONS(LoadError(tj, R"({"bos_token": "<|nope|>"})"), "tokenizer_config.json", "bos_token",
                        "<|nope|>");
  EXPECT_ERROR_MENTIONS(LoadError(tj, R"({"eos_token": 3})"), "tokenizer_config.json", "eos_token");
  EXPECT_ERROR_MENTIONS(LoadError(tj, R"({"chat_template": {"a": 1}})"), "tokenizer_config.json", "chat_template");
  EXPECT_ERROR_MENTIONS(LoadError(tj, "{oops"), "tokenizer_config.json", "not valid JSON");
  EXPECT_EQ(LoadError(tj, R"({"bos_token": null, "eos_token": {"content": "a"}, "chat_template": "x"})"), "");
}

}  // namespace
}  // namespace deeper
