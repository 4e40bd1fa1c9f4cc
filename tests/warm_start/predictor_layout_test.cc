// The predictor is trained on packed rows (one persona, several items, per-item visibility) and read
// at inference by RatingPredictor (shared persona prefix, one suffix per item). Both must give every
// item the same conditional over the rating tokens, token for token; otherwise the predictor would be
// trained on one task and asked another (e.g. a rating read before its item is visible).
#include <gtest/gtest.h>

#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "model/hf_config.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/prediction.h"
#include "stages/persona/rating_scale.h"
#include "stages/warm_start/sft_data.h"
#include "stages/warm_start/sft_trainer.h"
#include "test_support.h"
#include "world/world.h"
#include "world/world_tokenizer.h"

namespace deeper {
namespace {

std::string Text(const Tokenizer& tokenizer, const std::vector<int64_t>& ids) {
  return tokenizer.Decode(std::vector<int32_t>(ids.begin(), ids.end()), /*skip_special_tokens=*/false);
}

// A random model whose attention is far from uniform (scaled queries and keys), so that what a position
// sees and where (RoPE) changes its readout: a plain random init averages every visible token alike.
void SaveSharpModel(const ModelConfig& config, const std::string& dir) {
  auto model = Transformer::RandomInit(config, 5);
  {
    c10::NoGradGuard no_grad;
    for (auto& [name, tensor] : model->NamedParameters()) {
      if (name.find("q_proj") != std::string::npos || name.find("k_proj") != std::string::npos) tensor.mul_(20.0);
    }
  }
  model->Save(dir);
}

// The text between `open` and the next end of turn.
std::string Between(const std::string& text, const std::string& open) {
  const size_t at = text.find(open);
  EXPECT_NE(at, std::string::npos) << text;
  const size_t from = at + open.size();
  return text.substr(from, text.find("<|eot_id|>", from) - from);
}

TEST(PredictorLayout, PackedTrainingRowsReadRatingsAsTheGateDoes) {
  SetTorchThreads(1);
  const Config config = testing::QuickstartWorldConfig({});
  const world::SimWorld sim(world::ParseWorldSettings("train_users=4,eval_users=1"));
  const std::string dir = testing::FreshTempDir("predictor-layout");
  world::WriteTokenizerFiles(dir, world::BuildWorldTokenizer(sim.lexicon(), sim.config().item_type));
  const Tokenizer tokenizer = Tokenizer::FromDirectory(dir);
  ModelConfig model_config = ConfigLike("llama");
  ApplyConfigOverrides(&model_config, "hidden_size=16,intermediate_size=32,num_hidden_layers=2,num_attention_heads=2,"
                                      "num_key_value_heads=2");
  model_config.rope_scaling = RopeScaling{};
  model_config.rope_theta = 10000.0;  // as warm_model.cc: positions matter
  model_config.vocab_size = tokenizer.vocab_size();
  model_config.torch_dtype = "float32";
  SaveSharpModel(model_config, dir);
  ModelSpec spec;
  spec.name = "predictor";
  spec.path = dir;
  spec.chat_format = "llama3";
  spec.device = "cpu";
  const auto bundle = ModelBundle::Load(spec);
  const PromptSet prompts = PromptSetFromConfig(config);
  const PredictionOptions prediction = PredictionOptionsFromConfig(config);
  const RatingPredictor predictor(*bundle, prompts, prediction);
  const std::string dataset = sim.config().dataset_name;
  const PromptRenderer renderer(tokenizer, "llama3", prompts);
  const world::PersonaTeachers teachers(sim.lexicon(), sim.config().persona_style);
  const WorldTaskContext task{&sim, &teachers, &renderer, prediction.ScaleFor(dataset).Text(), 3};
  PredictorDataOptions options;
  options.examples = 2;
  options.items_per_persona = 4;
  const auto examples = PredictorExamples(task, options);
  std::vector<int64_t> rating_ids;
  for (const auto& token : prediction.ScaleFor(dataset).tokens) rating_ids.push_back(tokenizer.Encode(token, false).at(0));
  SftBatchOptions one_row;
  one_row.max_rows = 1;

  for (const SftExample& e : examples) {
    ASSERT_TRUE(e.packed());
    const std::string prompt = Text(tokenizer, e.prompt);
    const std::string persona = Between(prompt, "persona : ");
    std::vector<std::string> items;
    for (const SftBranch& b : e.branches) items.push_back(Between(prompt + Text(tokenizer, b.prompt), "rate "));
    const auto readouts = predictor.PredictDetailed(persona, items, sim.config().item_type, dataset);
    ASSERT_EQ(readouts.size(), items.size());
    for (size_t k = 0; k < e.branches.size(); ++k) {
      // Branch k's completion is each rating in turn, the others' stay: the row's loss then moves by
      // exactly branch k's log-probability ratios, which RatingPredictor must reproduce.
      std::vector<double> sums;  // the row's summed loss; SftLoss is its mean over completion tokens
      for (int64_t id : rating_ids) {
        SftExample row = e;
        row.branches[k].completion = {id};
        int64_t tokens = 0;
        for (const SftBranch& b : row.branches) tokens += static_cast<int64_t>(b.completion.size());
        sums.push_back(SftLoss(bundle->model(), {row}, one_row) * static_cast<double>(tokens));
      }
      for (size_t r = 1; r < rating_ids.size(); ++r) {
        const double trained = sums[0] - sums[r];  // log p(r) - log p(first rating)
        const double inferred = std::log(readouts[k].probs[r]) - std::log(readouts[k].probs[0]);
        EXPECT_NEAR(trained, inferred, 1e-4) << "item " << items[k] << ", rating token " << r;
      }
    }
    // The check has teeth: even this untrained model reads the item, so the items of one persona get
    // readouts that differ by well over the tolerance above (as a mask or layout bug shifts them).
    double spread = 0.0;
    for (size_t k = 1; k < items.size(); ++k) {
      if (items[k] == items[0]) continue;
      for (size_t r = 0; r < rating_ids.size(); ++r) {
        spread = std::max(spread, std::fabs(std::log(readouts[k].probs[r]) - std::log(readouts[0].probs[r])));
      }
    }
    EXPECT_GT(spread, 1e-3) << persona;
  }
}

}  // namespace
}  // namespace deeper
