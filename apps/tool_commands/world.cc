// deeper-tool world: generates the simulated behaviour world and writes it in the release's layout
// (train split CSV, eval round files), with the truth file, world.json and the world's tokenizer.
//   deeper-tool world --out runs/world
//   deeper-tool world --out runs/world --seed 7 --set train_users=100,eval_users=50,noise=0.3
// --set keys are WorldConfig's fields (world/world_config.h); --seed overrides the seed.
#include <gflags/gflags.h>

#include <iostream>
#include <string>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "world/world.h"
#include "world/world_config.h"
#include "world/world_files.h"
#include "world/world_stats.h"

namespace deeper {
namespace {

void PrintStats(const char* split, const world::WorldStats& s) {
  std::cerr << "world: " << split << ": " << s.users << " users, " << s.ratings << " ratings, drift "
            << s.drift_fraction << ", 5-star share " << s.five_star_fraction << ", MAE noise floor "
            << s.noise_floor_mae << " / bias only " << s.bias_only_mae << " / empty persona " << s.empty_persona_mae
            << ", true persona words " << s.mean_true_persona_words << " (max " << s.max_true_persona_words << ")\n";
}

int RunWorld(int argc, char** argv) {
  DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "'");
  DEEPER_REQUIRE(!FLAGS_out.empty(), "--out DIR is required");
  world::WorldConfig base;
  // --seed wins over the default but not over an explicit seed= in --set (applied after).
  if (!gflags::GetCommandLineFlagInfoOrDie("seed").is_default) base.seed = FLAGS_seed;
  const world::WorldConfig config = world::ParseWorldSettings(FLAGS_set, base);
  const world::SimWorld sim(config);
  const world::WorldFiles files = world::WriteWorldFiles(sim, FLAGS_out);
  PrintStats("train", world::ComputeWorldStats(sim, sim.train_users()));
  PrintStats("eval", world::ComputeWorldStats(sim, sim.eval_users()));
  std::cerr << "world: seed " << config.seed << "; wrote " << files.train_csv << ", " << files.round_files.size()
            << " round files in " << files.rounds_dir << ", " << files.truth << ", " << files.world_json
            << " and a tokenizer of " << files.vocab_size << " tokens in " << files.tokenizer_dir << "\n";
  return 0;
}

}  // namespace

DEEPER_TOOL_COMMAND("world", "simulated behaviour world -> split CSV, round files, truth, tokenizer (--out DIR)",
                    RunWorld);

}  // namespace deeper
