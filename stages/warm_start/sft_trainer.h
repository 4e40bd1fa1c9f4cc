// Supervised fine-tuning of a Transformer on (prompt, completion) examples: token-level mean
// cross-entropy over completion tokens (prompt and padding masked), AdamW (train/adamw.h) with a
// warmup + cosine/linear/constant schedule (train/lr_schedule.h), gradient clipping, batches packed by
// a padded-token budget (sft_batches.h). Single process and deterministic for a seed and thread count.
// Only completion positions are projected to the vocabulary, so long prompts cost no LM-head work.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stages/warm_start/sft_batches.h"
#include "stages/warm_start/sft_example.h"

namespace deeper {

class Transformer;

struct SftOptions {
  double learning_rate = 1e-3;
  std::string lr_scheduler_type = "cosine";  // cosine, linear or constant
  int64_t warmup_steps = 50;
  double min_lr_ratio = 0.1;  // Cosine floor as a fraction of the peak rate.
  double epochs = 1.0;        // Passes over the examples (when max_steps is 0).
  int64_t max_steps = 0;      // > 0: exactly this many optimizer steps (epochs repeat as needed).
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.98;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;  // 0 = no clipping.
  SftBatchOptions batches;
  uint64_t seed = 0;
  int64_t log_every = 50;  // Steps between StepLog callbacks (the last step is always logged).
  // > 0: stop once the mean loss of the last `stop_windows` logged windows is below this (max_steps or
  // epochs cap the run). A model trained from scratch on a lookup task sits on a plateau for a number
  // of steps that varies with the seed, then drops: this trains as long as the drop takes, not a
  // fixed guess. Several windows, because one window's loss is noisy.
  double stop_loss = 0.0;
  int stop_windows = 4;
};

struct SftStepLog {
  int64_t step = 0;           // 1-based optimizer step.
  int64_t total_steps = 0;
  double loss = 0.0;          // Mean over the completion tokens since the previous log.
  double accuracy = 0.0;      // Share of those tokens predicted exactly (argmax).
  double learning_rate = 0.0;
  double grad_norm = 0.0;     // Of the logged step.
  int64_t tokens = 0;         // Padded tokens processed since the start.
  double seconds = 0.0;       // Since the start.
};

struct SftSummary {
  int64_t steps = 0;        // Run (fewer than planned when stop_loss was reached).
  bool reached_stop_loss = false;
  double first_loss = 0.0;  // Of the first logged window.
  double final_loss = 0.0;  // Of the last logged window.
  double final_accuracy = 0.0;
  int64_t tokens = 0;
  double seconds = 0.0;
};

// The optimizer steps TrainSft will run for these examples and options.
int64_t SftTotalSteps(const std::vector<SftExample>& examples, const SftOptions& options);

// Trains every base parameter of `model` in place (left with requires_grad off and training mode
// off). `on_log` (optional) receives progress every log_every steps.
SftSummary TrainSft(Transformer& model, const std::vector<SftExample>& examples, const SftOptions& options,
                    const std::function<void(const SftStepLog&)>& on_log = {});

// Mean completion-token cross-entropy of `examples` under `model` (no gradients), for held-out checks.
double SftLoss(const Transformer& model, const std::vector<SftExample>& examples, const SftBatchOptions& batches);

}  // namespace deeper
