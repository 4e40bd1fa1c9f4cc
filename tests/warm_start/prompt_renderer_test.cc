#include <gtest/gtest.h>

#include <algorithm>

#include "model/hf_config.h"
#include "model/transformer.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/persona_generation.h"
#include "stages/warm_start/prompt_renderer.h"
#include "test_support.h"
#include "world/world.h"
#include "world/world_tokenizer.h"

namespace deeper {
namespace {

// The warm-start data must be rendered exactly as the pipeline renders prompts for a loaded model.
TEST(PromptRenderer, MatchesTheModelBundlesPrompts) {
  const Config config = testing::QuickstartWorldConfig({});
  const world::SimWorld sim(world::ParseWorldSettings("train_users=2,eval_users=1"));
  const std::string dir = testing::FreshTempDir("prompt-renderer");
  world::WriteTokenizerFiles(dir, world::BuildWorldTokenizer(sim.lexicon(), sim.config().item_type));
  const Tokenizer tokenizer = Tokenizer::FromDirectory(dir);
  ModelConfig model_config = ConfigLike("llama");
  ApplyConfigOverrides(&model_config, "hidden_size=16,intermediate_size=32,num_hidden_layers=1,num_attention_heads=2,"
                                      "num_key_value_heads=2");
  model_config.vocab_size = tokenizer.vocab_size();
  Transformer::RandomInit(model_config, 1)->Save(dir);
  ModelSpec spec;
  spec.name = "refiner";
  spec.path = dir;
  spec.chat_format = "llama3";
  spec.device = "cpu";
  const auto bundle = ModelBundle::Load(spec);
  const PromptSet prompts = PromptSetFromConfig(config);
  const PromptRenderer renderer(tokenizer, "llama3", prompts);

  const auto& user = sim.train_users()[0];
  const auto items = sim.ItemNames(user, 1);
  const auto ratings = sim.Ratings(user, 1);
  const std::vector<double> predicted(items.size(), 3.4);
  const std::string persona = "generous rater . loves comedy .";
  EXPECT_EQ(renderer.Persona(prompts.init, "prompts.init", "movie", "1 to 5", {{"items", FormatRatedItems(prompts, items, ratings)}}),
            InitPromptIds(*bundle, prompts, "movie", "1 to 5", items, ratings));
  EXPECT_EQ(renderer.Persona(prompts.refine, "prompts.refine", "movie", "1 to 5",
                             {{"persona", persona}, {"items", FormatRefinementItems(prompts, items, ratings, predicted)}}),
            RefinePromptIds(*bundle, prompts, "movie", "1 to 5", persona, items, ratings, predicted));
  EXPECT_EQ(renderer.Chat("persona : " + persona, "rate " + items[0]),
            bundle->ChatPromptIds("persona : " + persona, "rate " + items[0]));
  EXPECT_EQ(renderer.Predict(persona, items[0], "movie", "1 to 5"),
            bundle->ChatPromptIds("persona : " + persona, "rate " + items[0]));
  // The world's prompts are short: every word one token.
  EXPECT_LT(renderer.Predict(persona, items[0], "movie", "1 to 5").size(), 40u);
  const auto& stops = bundle->stop_tokens();
  EXPECT_NE(std::find(stops.begin(), stops.end(), renderer.Completion(persona).back()), stops.end());
}

}  // namespace
}  // namespace deeper
