// Every golden case of HF tokenizers (tokenizers 0.23 / transformers 5.17) for the Llama-3 and
// Qwen3 tokenizers: ids, ids with special tokens, decoded text, and the chat renderings.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/files.h"
#include "model/tokenizer/chat_format.h"
#include "model/tokenizer/tokenizer.h"

namespace deeper {
namespace {

using json = nlohmann::json;

const std::string kDataDir = std::string(DEEPER_TEST_DATA_DIR) + "/tokenizer";

const json& Golden() {
  static const json golden = json::parse(ReadFile(kDataDir + "/tokenizer_golden.json"));
  return golden;
}

const Tokenizer& Load(const std::string& name) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, Tokenizer::FromDirectory(kDataDir + "/" + name)).first;
  return it->second;
}

std::vector<int32_t> Ids(const json& j) { return j.get<std::vector<int32_t>>(); }

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, EveryCaseMatchesHf) {
  const Tokenizer& tok = Load(GetParam());
  const json& cases = Golden()["tokenizers"][GetParam()]["cases"];
  ASSERT_EQ(cases.size(), 350u);
  int failures = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE("case " + std::to_string(i) + ": " + json(text).dump());
    std::vector<int32_t> ids = tok.Encode(text, /*add_special_tokens=*/false);
    std::vector<int32_t> with_special = tok.Encode(text, /*add_special_tokens=*/true);
    std::string decoded = tok.Decode(Ids(c["ids"]), /*skip_special_tokens=*/false);
    bool ok = ids == Ids(c["ids"]) && with_special == Ids(c["ids_with_special"]) &&
              decoded == c["decoded"].get<std::string>();
    EXPECT_EQ(ids, Ids(c["ids"]));
    EXPECT_EQ(with_special, Ids(c["ids_with_special"]));
    EXPECT_EQ(decoded, c["decoded"].get<std::string>());
    if (!ok) ++failures;
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " cases";
}

TEST_P(GoldenTest, DecodeOfOwnIdsSkipsNothingWithoutSpecialTokens) {
  const Tokenizer& tok = Load(GetParam());
  for (const json& c : Golden()["tokenizers"][GetParam()]["cases"]) {
    EXPECT_EQ(tok.Decode(Ids(c["ids_with_special"]), /*skip_special_tokens=*/true), c["decoded"].get<std::string>());
  }
}

TEST_P(GoldenTest, SpecialTokensMatchConfig) {
  const Tokenizer& tok = Load(GetParam());
  const json& g = Golden()["tokenizers"][GetParam()];
  if (g["bos"].is_null()) {
    EXPECT_FALSE(tok.bos_id().has_value());
  } else {
    ASSERT_TRUE(tok.bos_id().has_value());
    EXPECT_EQ(*tok.bos_id(), tok.TokenId(g["bos"].get<std::string>()));
    EXPECT_EQ(tok.bos_token(), g["bos"].get<std::string>());
  }
  ASSERT_TRUE(tok.eos_id().has_value());
  EXPECT_EQ(tok.eos_token(), g["eos"].get<std::string>());
  EXPECT_TRUE(tok.IsSpecial(*tok.eos_id()));
}

TEST_P(GoldenTest, ChatRenderingsMatchHf) {
  const Tokenizer& tok = Load(GetParam());
  const std::string format_name = GetParam() == "llama3" ? "llama3" : "chatml";
  ChatFormat format = ChatFormat::ByName(format_name, tok);
  const json& chats = Golden()["tokenizers"][GetParam()]["chat"];
  ASSERT_EQ(chats.size(), 4u);
  for (size_t i = 0; i < chats.size(); ++i) {
    const json& c = chats[i];
    SCOPED_TRACE("chat " + std::to_string(i));
    std::vector<ChatMessage> messages;
    for (const json& m : c["messages"]) messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    bool gen = c["add_generation_prompt"].get<bool>();
    EXPECT_EQ(format.Render(messages, gen), c["rendered"].get<std::string>());
    EXPECT_EQ(format.RenderIds(messages, gen), Ids(c["ids"]));
  }
}

INSTANTIATE_TEST_SUITE_P(tokenizer_golden, GoldenTest, ::testing::Values("llama3", "qwen3"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace deeper
