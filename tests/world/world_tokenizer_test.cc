// The world's tokenizer: the trainer makes every piece one token, and the HF files load in the
// project's tokenizer with each world word one token, exact decoding, and the llama3 chat format.
#include <gtest/gtest.h>

#include <cstdint>

#include "model/tokenizer/chat_format.h"
#include "model/tokenizer/tokenizer.h"
#include "tests/world/world_test_util.h"
#include "world/bpe_trainer.h"
#include "world/lexicon.h"
#include "world/persona.h"
#include "world/world.h"
#include "world/world_tokenizer.h"

namespace deeper::world {
namespace {

using testing::ScratchDir;

TEST(BpeTrainerTest, EveryPieceBecomesOneToken) {
  const std::vector<std::string> pieces = {"low", " low", "lower", " newest", "widest", " .", "\n\n"};
  const BpeModel model = TrainByteLevelBpe(pieces);
  EXPECT_EQ(model.tokens.size(), 256 + model.merges.size()) << "no merge repeats a token here";
  const BpeMerger merger(model);
  for (const std::string& piece : pieces) {
    const std::vector<std::string> tokens = merger.Apply(piece);
    ASSERT_EQ(tokens.size(), 1u) << piece;
    EXPECT_EQ(tokens[0], ByteLevelText(piece));
  }
  EXPECT_EQ(ByteLevelText(" a\n"), "\xC4\xA0" "a" "\xC4\x8A");  // "Ġ" "a" "Ċ"
  EXPECT_EQ(model.tokens[0], "!");                               // GPT-2 id order: byte 33 first
  EXPECT_EQ(TrainByteLevelBpe(pieces).merges, model.merges);
  // Text outside the training pieces still encodes, in several tokens.
  EXPECT_GT(merger.Apply("zebra").size(), 1u);
}

class WorldTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Lexicon lexicon(kMaxGenres);
    files_ = new TokenizerFiles(BuildWorldTokenizer(lexicon, "movie"));
    dir_ = new ScratchDir();
    WriteTokenizerFiles(dir_->path(), *files_);
    tokenizer_ = new Tokenizer(Tokenizer::FromDirectory(dir_->path()));
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete dir_;
    delete files_;
  }
  static TokenizerFiles* files_;
  static ScratchDir* dir_;
  static Tokenizer* tokenizer_;
};
TokenizerFiles* WorldTokenizerTest::files_ = nullptr;
ScratchDir* WorldTokenizerTest::dir_ = nullptr;
Tokenizer* WorldTokenizerTest::tokenizer_ = nullptr;

TEST_F(WorldTokenizerTest, EveryWorldWordIsOneToken) {
  const Lexicon lexicon(kMaxGenres);
  std::vector<std::string> words = lexicon.AllWords();
  words.push_back("movie");
  for (const std::string& w : DefaultPromptWords()) words.push_back(w);
  for (const std::string& word : words) {
    for (const std::string& text : {word, " " + word}) {
      const std::vector<int32_t> ids = tokenizer_->Encode(text, false);
      EXPECT_EQ(ids.size(), 1u) << "'" << text << "'";
      EXPECT_EQ(tokenizer_->Decode(ids, false), text);
    }
  }
  for (const char* digit : {"1", "2", "3", "4", "5"}) EXPECT_EQ(tokenizer_->Encode(digit, false).size(), 1u) << digit;
  EXPECT_EQ(tokenizer_->vocab_size(), files_->vocab_size);
}

TEST_F(WorldTokenizerTest, PersonasAndItemsEncodeWordForWord) {
  WorldConfig config;
  config.train_users = 0;
  config.eval_users = 20;
  const SimWorld world(config);
  ScratchDir word_dir;
  WriteTokenizerFiles(word_dir.path(), BuildWorldTokenizer(Lexicon(kMaxGenres), "movie", /*clause_tokens=*/false));
  const Tokenizer word_tokenizer = Tokenizer::FromDirectory(word_dir.path());
  for (const SimUser& user : world.eval_users()) {
    const std::string persona = RenderPersona(user.tastes[0], world.lexicon(), PersonaStyle::kSparse);
    // Without clause tokens: one token per word. With them: each clause after the first is one token
    // (the first has no space before it), each " ." one more.
    const std::vector<int32_t> words = word_tokenizer.Encode(persona, false);
    EXPECT_EQ(static_cast<int>(words.size()), PersonaWordCount(persona)) << persona;
    EXPECT_EQ(word_tokenizer.Decode(words, false), persona);
    const int clauses = PersonaWordCount(persona) / 3;
    const std::vector<int32_t> ids = tokenizer_->Encode(persona, false);
    EXPECT_EQ(static_cast<int>(ids.size()), 2 * clauses + 1) << persona;
    EXPECT_EQ(tokenizer_->Decode(ids, false), persona);
    EXPECT_EQ(tokenizer_->Encode(" " + persona, false).size(), 2u * clauses) << persona;
    for (const std::string& item : world.ItemNames(user, 0)) {
      EXPECT_EQ(tokenizer_->Encode(item, false).size(), 3u) << item;
    }
  }
  const std::string line = "classic funny story: 5 predicted 3.\n";
  EXPECT_EQ(tokenizer_->Decode(tokenizer_->Encode(line, false), false), line);
  // Text the world never writes still round-trips through the byte tokens.
  const std::string odd = "Zebra \xC3\xA9t\xC3\xA9 42!";
  EXPECT_EQ(tokenizer_->Decode(tokenizer_->Encode(odd, false), false), odd);
}

TEST_F(WorldTokenizerTest, EachPersonaClauseIsOneTextToken) {
  const Lexicon lexicon(kMaxGenres);
  const std::vector<std::string> clauses = ClauseTokens(lexicon);
  EXPECT_EQ(clauses.size(), 3u + 5u * kMaxGenres);
  for (const std::string& clause : clauses) {
    const std::vector<int32_t> ids = tokenizer_->Encode(clause, false);
    ASSERT_EQ(ids.size(), 1u) << "'" << clause << "'";
    EXPECT_FALSE(tokenizer_->IsSpecial(ids[0])) << clause;
    EXPECT_EQ(tokenizer_->Decode(ids, /*skip_special_tokens=*/true), clause);
  }
  EXPECT_EQ(tokenizer_->Encode("persona : generous rater . loves comedy .", false).size(), 6u);
  // Only whole words: a clause running into more letters is not one (single_word).
  EXPECT_EQ(tokenizer_->Encode(" loves comedyx", false).size(), 3u);
  // tokenizer_config.json lists every added token, the clauses as non-special.
  EXPECT_NE(files_->tokenizer_config_json.find("\" loves comedy\""), std::string::npos);
}

TEST_F(WorldTokenizerTest, SpecialTokensAndLlama3ChatFormat) {
  ASSERT_TRUE(tokenizer_->bos_id().has_value());
  ASSERT_TRUE(tokenizer_->eos_id().has_value());
  ASSERT_TRUE(tokenizer_->pad_id().has_value());
  EXPECT_EQ(tokenizer_->bos_token(), "<|begin_of_text|>");
  EXPECT_EQ(tokenizer_->eos_token(), "<|eot_id|>");
  EXPECT_TRUE(tokenizer_->IsSpecial(*tokenizer_->eos_id()));
  const std::vector<int32_t> with_bos = tokenizer_->Encode("fair rater .", true);
  ASSERT_EQ(with_bos.size(), 4u);
  EXPECT_EQ(with_bos[0], *tokenizer_->bos_id());

  const ChatFormat chat = ChatFormat::ByName("llama3", *tokenizer_);
  const std::vector<ChatMessage> messages = {{"system", "Write the persona."}, {"user", "classic funny story: 5"}};
  const std::string prompt = chat.Render(messages, true);
  EXPECT_EQ(prompt,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nWrite the persona.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nclassic funny story: 5<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  const std::vector<int32_t> ids = chat.RenderIds(messages, true);
  EXPECT_EQ(ids.front(), *tokenizer_->bos_id());
  EXPECT_EQ(tokenizer_->Decode(ids, false), prompt);
  EXPECT_EQ(tokenizer_->Decode(ids, true),
            "system\n\nWrite the persona.user\n\nclassic funny story: 5assistant\n\n");
  // Without a generation prompt the template adds no assistant header.
  EXPECT_EQ(chat.Render(messages, false).find("assistant"), std::string::npos);
  // The whole prompt is short: each word, header, punctuation mark and "\n\n" is one token (25 in
  // all; " 5" is two, as Llama-3's pattern splits numbers from the space before them).
  EXPECT_EQ(ids.size(), 25u);
}

}  // namespace
}  // namespace deeper::world
