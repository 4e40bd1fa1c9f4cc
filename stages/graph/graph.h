// The DEEPER pipeline as a graph of stages, in run order:
//
//   world              (world.enabled) the simulated behaviour world's files
//   context_building   behaviour windows per user (reads world when its sources say {run_dir}/world/...)
//   warm_start         (world.enabled and warm_start.enabled) SFT of a tiny predictor and refiner on
//                      the world, predictor gate
//   init_persona, direction_sampling_1, reward_assignment_1, pair_mining_1, dpo_iter1, refine_1,
//   direction_sampling_2, reward_assignment_2, pair_mining_2, dpo_iter2, evaluation
//                      (when models.refiner.path is set)
//
// A config without `world.enabled` gets exactly the graph it had before the world existed. Which
// stage reads which is Stage::Inputs() plus the config's `{run_dir}/STAGE` references
// (pipeline/runner.h, StageInputs): with the quickstart's models at {run_dir}/warm_start/..., every
// model stage reads warm_start.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/stage.h"

namespace deeper {

std::vector<std::unique_ptr<Stage>> BuildPipeline(const Config& config);

}  // namespace deeper
