// A warm model's added multi-word tokens (the world's persona clauses) start as the mean of their
// words' embeddings; every other row keeps its random initialisation.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <string>

#include "model/hf_config.h"
#include "model/runtime.h"
#include "common/error.h"
#include "model/transformer.h"
#include "stages/warm_start/warm_model.h"
#include "test_support.h"
#include "world/lexicon.h"
#include "world/world_tokenizer.h"

namespace deeper {
namespace {

at::Tensor Row(const Transformer& model, int64_t id) {
  for (const auto& [name, tensor] : model.NamedParameters()) {
    if (name == "model.embed_tokens.weight") return tensor[id].clone();
  }
  ADD_FAILURE() << "no embeddings";
  return {};
}

TEST(WarmModel, ClauseTokensStartAsTheMeanOfTheirWords) {
  SetTorchThreads(1);
  const world::Lexicon lexicon(6);
  const std::string dir = testing::FreshTempDir("warm-model-init");
  world::WriteTokenizerFiles(dir, world::BuildWorldTokenizer(lexicon, "movie"));
  const Tokenizer tokenizer = Tokenizer::FromDirectory(dir);
  ModelConfig config = ConfigLike("llama");
  ApplyConfigOverrides(&config, "hidden_size=16,intermediate_size=32,num_hidden_layers=1,num_attention_heads=2,"
                                "num_key_value_heads=2");
  config.vocab_size = tokenizer.vocab_size();
  auto model = Transformer::RandomInit(config, 3);
  const auto one = [&](const std::string& text) {
    const auto ids = tokenizer.Encode(text, false);
    EXPECT_EQ(ids.size(), 1u) << text;
    return static_cast<int64_t>(ids.at(0));
  };
  const int64_t clause = one(" loves comedy"), loves = one(" loves"), comedy = one(" comedy");
  const int64_t rater = one(" generous rater");
  const at::Tensor clause_before = Row(*model, clause), comedy_before = Row(*model, comedy);
  EXPECT_FALSE(at::allclose(clause_before, (Row(*model, loves) + comedy_before) / 2));

  EXPECT_EQ(InitMultiWordTokens(*model, tokenizer), static_cast<int>(world::ClauseTokens(lexicon).size()));
  EXPECT_TRUE(at::allclose(Row(*model, clause), (Row(*model, loves) + Row(*model, comedy)) / 2));
  EXPECT_TRUE(at::allclose(Row(*model, rater), (Row(*model, one(" generous")) + Row(*model, one(" rater"))) / 2));
  EXPECT_TRUE(at::equal(Row(*model, comedy), comedy_before)) << "a word's own row is left alone";
}

// The refiner can start from the trained predictor: the same weights, then its own training.
TEST(WarmModel, StartsFromACheckpointOfTheSameArchitecture) {
  SetTorchThreads(1);
  const std::string tokenizer_dir = testing::FreshTempDir("warm-model-from");
  world::WriteTokenizerFiles(tokenizer_dir, world::BuildWorldTokenizer(world::Lexicon(6), "movie"));
  const Tokenizer tokenizer = Tokenizer::FromDirectory(tokenizer_dir);
  const std::string arch = "hidden_size=16,intermediate_size=32,num_hidden_layers=1,num_attention_heads=2,num_key_value_heads=2";
  SftOptions sft;
  sft.max_steps = 1;
  sft.warmup_steps = 0;
  sft.learning_rate = 1e-12;  // one step that leaves the weights where they start (to float precision)
  const std::vector<SftExample> examples = {{{5, 6, 7}, {8, 9}, {}}};
  const std::string source = testing::FreshTempDir("warm-model-source");
  TrainWarmModel({"predictor", arch, tokenizer_dir, source, 3, "", sft}, tokenizer, examples);

  const std::string fresh = testing::FreshTempDir("warm-model-fresh"), started = testing::FreshTempDir("warm-model-started");
  TrainWarmModel({"refiner", arch, tokenizer_dir, fresh, 4, "", sft}, tokenizer, examples);
  TrainWarmModel({"refiner", arch, tokenizer_dir, started, 4, source, sft}, tokenizer, examples);
  const auto a = Transformer::Load(source), b = Transformer::Load(started), c = Transformer::Load(fresh);
  EXPECT_TRUE(at::allclose(Row(*b, 8), Row(*a, 8), 0, 1e-6));
  EXPECT_FALSE(at::allclose(Row(*c, 8), Row(*a, 8), 0, 1e-3)) << "a random start differs";

  const std::string other = "hidden_size=32,intermediate_size=32,num_hidden_layers=1,num_attention_heads=2,num_key_value_heads=2";
  try {
    TrainWarmModel({"refiner", other, tokenizer_dir, testing::FreshTempDir("warm-model-bad"), 4, source, sft}, tokenizer,
                   examples);
    FAIL() << "a different architecture was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("same architecture"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace deeper
