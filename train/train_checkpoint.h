// Training checkpoints: everything an exact resume needs, written atomically.
//
// Layout of OUTPUT_DIR/checkpoint-<step>/ (written as .checkpoint-<step>.tmp-<pid>, then renamed):
//   model/               full fine-tuning: config.json + model.safetensors (Transformer::Save, HF layout)
//   adapter/             LoRA: adapter_config.json + adapter_model.safetensors (PEFT layout)
//   optimizer.safetensors  AdamW moments "exp_avg/<param>", "exp_avg_sq/<param>" (fp32)
//   trainer_state.json   step, scheduler step, data cursor (epoch, batch in epoch), world size, global
//                        batch, seed and RNG scheme, data fingerprint, the resolved config, last metrics
// A directory named checkpoint-<step> is complete by construction; temporaries are ignored and cleaned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deeper {

class AdamW;
class Transformer;
struct LoraConfig;

struct TrainState {
  int64_t global_step = 0;        // optimizer updates done (= scheduler step).
  int64_t total_steps = 0;
  int64_t steps_per_epoch = 0;
  int64_t epoch = 0;              // data cursor: epoch of the next batch ...
  int64_t batch_in_epoch = 0;     // ... and its index in that epoch's order.
  int64_t global_batch_size = 0;
  int world_size = 1;
  uint64_t seed = 0;
  std::string data_fingerprint;   // hex hash of the (truncated) pairs and the split.
  std::string config_json;        // TrainConfigToJson of the run.
  std::string metrics_json;       // the last step's metrics (JSON object text), may be empty.
};

// Writes checkpoint-<state.global_step> under `output_dir` (replacing one of the same step) and returns
// its path. `lora` is null for full fine-tuning (weights saved) and the adapter's config otherwise.
std::string SaveTrainCheckpoint(const std::string& output_dir, const TrainState& state, const Transformer& model,
                                const LoraConfig* lora, const AdamW& optimizer);

// The complete checkpoint with the highest step in `output_dir`, if any.
std::optional<std::string> LatestCheckpoint(const std::string& output_dir);
// All complete checkpoints, ascending by step.
std::vector<std::string> ListCheckpoints(const std::string& output_dir);

TrainState ReadTrainState(const std::string& checkpoint_dir);
// Restores the optimizer's moments and step from checkpoint_dir/optimizer.safetensors.
void LoadOptimizerState(const std::string& checkpoint_dir, AdamW& optimizer, int64_t step);

// Deletes the oldest checkpoints so that at most `keep` remain (0 = keep all).
void PruneCheckpoints(const std::string& output_dir, int64_t keep);

}  // namespace deeper
