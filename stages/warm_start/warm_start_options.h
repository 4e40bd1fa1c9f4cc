// Config section `warm_start`: the two models' architectures, their SFT data and training, the
// predictor gate and the refiner quality check. Torch-free.
#pragma once

#include <string>

#include "pipeline/config.h"
#include "stages/warm_start/predictor_gate.h"
#include "stages/warm_start/sft_data.h"
#include "stages/warm_start/sft_trainer.h"

namespace deeper {

inline constexpr char kWarmStartSection[] = "warm_start";

struct WarmStartOptions {
  std::string predictor_architecture;
  std::string refiner_architecture;
  bool refiner_from_predictor = false;  // the refiner starts from the trained predictor's weights
  // A checkpoint to take the refiner from instead of training it: a directory, or kBuiltinCheckpoint
  // (warm_checkpoint.h); "" = train it here.
  std::string refiner_checkpoint;
  SftOptions predictor_sft;
  SftOptions refiner_sft;
  PredictorDataOptions predictor_data;
  RefinerDataOptions refiner_data;
  bool gate_enabled = true;
  int gate_max_users = 0;  // eval users checked (0 = all)
  GateThresholds gate;
  int quality_contexts = 32;  // 0 = skip the refiner quality check
  int quality_candidates = 8;
};

// Reads section `warm_start` (run.seed seeds the data and the initialisation). Errors name the key.
WarmStartOptions WarmStartOptionsFromConfig(const Config& config);

}  // namespace deeper
