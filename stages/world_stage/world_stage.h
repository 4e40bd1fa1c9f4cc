// The `world` stage: generates the simulated behaviour world of config section `world` and writes its
// files into the stage directory, in the release's layout (world/world_files.h):
//   world/split_data/train_dataset.csv           train users (context_building: deeper_csv)
//   world/test_iterations/test_iteration_K.jsonl  eval users (context_building: deeper_jsonl)
//   world/truth.jsonl, world/world.json           true tastes per window; config and statistics
//   world/tokenizer/                              the world's tokenizer.json (warm_start trains on it)
// The world depends only on the section (its own seed included), so changing anything else never
// regenerates it. Rank 0 writes; the other ranks wait at the runner's barrier.
#pragma once

#include <memory>

#include "pipeline/stage.h"

namespace deeper {

inline constexpr char kWorldStage[] = "world";

std::unique_ptr<Stage> MakeWorldStage();

}  // namespace deeper
