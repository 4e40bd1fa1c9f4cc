// The DPO training loop: AdamW with a warmup + cosine (or linear/constant) schedule, gradient clipping
// by global norm, gradient accumulation over micro-batches packed by token budget, truncation, a
// validation split evaluated every eval_steps, checkpoints every save_steps and at the end, exact resume.
//
// Data parallel over a Communicator: the trainable weights are broadcast from rank 0; an optimizer step
// consumes one global batch of pairs (same pairs and order whatever the world size), each rank taking
// its contiguous slice; gradients are averaged by GradientBucketer, metrics summed over ranks, so every
// rank holds bit-identical weights and metrics. Each rank's loss is its pairs' sum divided by the pairs
// per rank, so the averaged gradient is the mean over the global batch regardless of world size or
// micro-batching.
//
// Outputs in output_dir: metrics.jsonl (rank 0; one line per step with TRL's names: loss,
// rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected,
// sft_loss, grad_norm, learning_rate; eval lines with the eval_ prefix), checkpoint-<step>/ (see
// train/train_checkpoint.h), reference_logps.h5 (full fine-tuning: the pairs with their precomputed
// reference log-probs).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>

#include "train/metrics.h"
#include "train/train_config.h"

namespace deeper {

class Communicator;
class Transformer;

struct TrainHooks {
  // Called on every rank after each optimizer step (after that step's checkpoint, if any).
  std::function<void(int64_t step, const Metrics& metrics)> on_step;
  // Called on every rank after each optimizer step with the model (trained parameters included), before
  // on_step; tests compare weights across ranks with it.
  std::function<void(int64_t step, const Transformer& model)> on_model;
  // Print each logged metrics line to stdout on rank 0.
  bool print = true;
};

struct TrainSummary {
  int64_t global_step = 0;
  std::string last_checkpoint;
  Metrics last_metrics;  // of the last step run by this call (empty when none ran)
  Metrics last_eval;     // of the last evaluation (empty without a validation split)
};

// The device a rank trains on: config.device as model/runtime.h's ParseDevice reads it, except that a
// CUDA device without an index ("cuda", or "auto" on a GPU machine) becomes cuda:<local rank> (from the
// launcher's environment), so the ranks of a node use one GPU each.
c10::Device ResolveTrainDevice(const std::string& device);

// Runs (or resumes, with config.resume) a DPO training. Collective over `comm`.
TrainSummary TrainDpo(const TrainConfig& config, Communicator& comm, const TrainHooks& hooks = {});

}  // namespace deeper
