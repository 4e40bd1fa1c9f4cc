// The TrainConfig of dpo_iter<k>, from the config's `dpo` section (LLaMA-Factory key names, see
// train/train_config.h) with dpo.iter<k> overrides, plus what the pipeline decides itself: the model
// to start from, the pairs, the output directory, the seed, the loss margin (from the mined pairs)
// and a world-size-independent global batch. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "pipeline/config.h"
#include "stages/persona/model_spec.h"
#include "train/train_config.h"

namespace deeper {

// Keys of `dpo` that the pipeline sets itself; refused in dpo.iter1 / dpo.iter2.
const std::vector<std::string>& PipelineOwnedDpoKeys();

// The config keys that decide dpo_iter<iteration>'s output: every dpo.<key> except the other
// iteration's overrides, dpo.iter<iteration>, the refiner's model entry and run.seed.
std::vector<std::string> DpoConfigKeys(const Config& config, int iteration);

struct DpoPaths {
  std::string pairs;             // merged pair shard
  std::string output_dir;        // the trainer's output directory
  std::string previous_dpo_dir;  // dpo_iter<k-1>'s directory ("" for iteration 1)
};

// The training configuration of iteration `iteration`, validated. Iteration 1 starts from
// models.refiner (and its adapter, with LoRA); iteration 2 continues from previous_dpo_dir's
// adapter/ (LoRA) or model/ (full). global_batch_size 0 becomes per_device_train_batch_size x
// gradient_accumulation_steps, so the trajectory does not depend on the number of ranks.
TrainConfig DpoTrainConfig(const Config& config, int iteration, const ModelSpec& refiner, const DpoPaths& paths,
                           double loss_margin);

}  // namespace deeper
