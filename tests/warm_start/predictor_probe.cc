// Diagnostic (not a test): a warm-started predictor's readout on eval users' true personas next to
// the world's rule, and the same probabilities from full unpacked forwards (ScoreCompletions).
//   predictor_probe RUN_DIR [users]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>

#include "common/error.h"
#include "model/scoring.h"
#include "pipeline/config.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/prediction.h"
#include "stages/warm_start/prompt_renderer.h"
#include "world/persona.h"
#include "world/rating_rule.h"
#include "world/world.h"
#include "world/world_files.h"

int main(int argc, char** argv) {
  using namespace deeper;
  if (argc < 2) return 2;
  const std::string run = argv[1];
  const int users = argc > 2 ? std::atoi(argv[2]) : 3;
  try {
    const world::WorldFiles files = world::WorldFilePaths(run + "/world", world::WorldConfig{});
    const world::SimWorld sim(world::ReadWorldConfig(files.world_json));
    ModelSpec spec;
    spec.name = "predictor";
    spec.path = run + "/warm_start/predictor";
    spec.chat_format = "llama3";
    spec.device = "cpu";
    const auto bundle = ModelBundle::Load(spec);
    const Config config = Config::Resolve(std::string(DEEPER_SOURCE_DIR) + "/configs/quickstart.yaml", {});
    const PromptSet prompts = PromptSetFromConfig(config);
    const PredictionOptions options = PredictionOptionsFromConfig(config);
    const RatingPredictor predictor(*bundle, prompts, options);
    const PromptRenderer renderer(bundle->tokenizer(), "llama3", prompts);
    std::vector<int64_t> rating_ids;
    for (const char* t : {"1", "2", "3", "4", "5"}) rating_ids.push_back(bundle->tokenizer().Encode(t, false)[0]);
    for (int u = 0; u < users; ++u) {
      const auto& user = sim.eval_users()[static_cast<size_t>(u)];
      const auto& truth = user.tastes[0];
      const std::string persona = world::RenderPersona(truth, sim.lexicon(), sim.config().persona_style);
      const auto items = sim.ItemNames(user, 0);
      const auto detailed = predictor.PredictDetailed(persona, items, "movie", "sim_world");
      const auto rule = world::PredictRatings(truth, sim.lexicon(), items);
      std::cout << "persona: " << persona << "\n";
      for (size_t i = 0; i < items.size(); ++i) {
        std::vector<CompletionPair> pairs;
        const auto prompt = renderer.Predict(persona, items[i], "movie", "1 to 5");
        for (int64_t id : rating_ids) pairs.push_back({prompt, {id}});
        const auto scores = ScoreCompletions(bundle->model(), pairs);
        double z = 0;
        for (const auto& s : scores) z += std::exp(s.logprob);
        std::printf("  %-28s rule %.0f expected %.2f argmax %.0f probs", items[i].c_str(), rule[i], detailed[i].expected,
                    detailed[i].argmax_value);
        for (double p : detailed[i].probs) std::printf(" %.2f", p);
        std::printf(" | full");
        for (const auto& s : scores) std::printf(" %.2f", std::exp(s.logprob) / z);
        std::printf("\n");
      }
    }
  } catch (const Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
