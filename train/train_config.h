// The configuration of a DPO run: one flat YAML mapping whose keys follow LLaMA-Factory's names where
// it has one (docs in train/README.md). Unknown keys are refused. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

struct TrainConfig {
  // ---- data and model
  std::string model_name_or_path;    // HF checkpoint directory of the policy (and, for LoRA, the reference).
  std::string ref_model;             // full: reference directory ("" = the policy's initial weights).
  std::string pairs;                 // pair shard (.h5) or LLaMA-Factory dataset (JSON/JSONL file or directory).
  std::string dataset;               // entry of dataset_info.json when `pairs` is a directory.
  std::string tokenizer;             // tokenizer directory for JSON datasets ("" = model_name_or_path).
  std::string template_name = "llama3";  // chat format for JSON datasets: llama3 or chatml (YAML key: template).
  std::string output_dir;
  bool resume = false;               // continue from the latest checkpoint in output_dir.
  std::string device = "auto";       // cpu, cuda, cuda:N, auto.
  std::string dtype;                 // weight dtype f32/bf16/f16 ("" = f32 on CPU, bf16 on CUDA).
  int threads = 0;                   // libtorch intra-op threads (0 = leave as is).
  uint64_t seed = 42;

  // ---- DPO
  std::string pref_loss = "sigmoid"; // sigmoid, hinge, ipo.
  double pref_beta = 0.1;
  double pref_ftx = 0.0;             // weight of the SFT term on the chosen completion.
  double pref_margin = 0.0;          // reward margin gamma: -log s(beta d - gamma).
  double dpo_label_smoothing = 0.0;

  // ---- fine-tuning type
  std::string finetuning_type = "lora";  // lora or full.
  int64_t lora_rank = 8;
  double lora_alpha = 16.0;
  double lora_dropout = 0.0;
  std::vector<std::string> lora_target = {"all"};  // "all" = the seven projections.
  std::string adapter_name_or_path;  // lora: start from this PEFT adapter instead of a fresh one.

  // ---- optimisation
  double learning_rate = 5e-6;
  std::string lr_scheduler_type = "cosine";  // cosine, linear, constant.
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;         // used when warmup_steps is 0.
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;        // 0 = no clipping.
  double num_train_epochs = 1.0;
  int64_t max_steps = 0;             // > 0 overrides num_train_epochs.

  // ---- batching
  int64_t per_device_train_batch_size = 4;   // pairs per micro-batch (cap).
  int64_t gradient_accumulation_steps = 1;
  int64_t global_batch_size = 0;     // pairs per optimizer step over all ranks; 0 = per_device * accum * world.
  int64_t micro_batch_tokens = 0;    // padded-token budget per forward (2 * pairs * length); 0 = none.
  int64_t cutoff_len = 2048;
  int64_t max_prompt_len = 0;        // 0 = cutoff_len / 2.
  int64_t bucket_mb = 25;            // gradient all-reduce bucket size (exact_gradient_sum: false).
  // Sum micro-batch gradients in fixed point: bit-identical weights on any number of ranks, at the cost
  // of one fp32 gradient copy per micro-batch a rank runs (false: bucketed float all-reduce).
  bool exact_gradient_sum = true;
  // Recompute each decoder layer's activations in backward instead of keeping them (HF's name).
  bool gradient_checkpointing = false;

  // ---- evaluation, logging, checkpoints
  double val_size = 0.0;             // fraction of pairs held out (LLaMA-Factory's val_size < 1).
  int64_t eval_steps = 0;            // 0 = evaluate only at the end (when there is a validation split).
  int64_t save_steps = 0;            // 0 = save only at the end.
  int64_t save_total_limit = 0;      // keep at most this many checkpoints (0 = all).
  int64_t logging_steps = 1;         // print every N steps (metrics.jsonl gets every step).
};

// Parses YAML text (a flat mapping). `source` names the file in errors.
TrainConfig ParseTrainConfig(const std::string& yaml_text, const std::string& source);
// Applies "key=value" (the value parsed as YAML: scalars or [lists]).
void ApplyTrainOverride(TrainConfig* config, const std::string& assignment);
// Range and consistency checks; throws deeper::Error naming the key.
void ValidateTrainConfig(const TrainConfig& config);
// The configuration as a JSON object text (every key), for checkpoints and logs.
std::string TrainConfigToJson(const TrainConfig& config);
// Keys whose change alters the training trajectory; a resume refuses a change to any of them.
std::vector<std::string> TrajectoryKeys();

}  // namespace deeper
