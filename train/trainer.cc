#include "train/trainer.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/exact_gradient_sum.h"
#include "distributed/collectives/gradient_bucketer.h"
#include "model/cpu_kernels.h"
#include "model/lora.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/batching.h"
#include "train/dpo_loss.h"
#include "train/lr_schedule.h"
#include "train/pair_batch.h"
#include "train/pairs_tokenize.h"
#include "train/reference.h"
#include "train/train_checkpoint.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

constexpr char kReferenceCache[] = "reference_logps.h5";

std::string Hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// A hash of the truncated pairs and the split: a resume on other data is refused.
std::string Fingerprint(const std::vector<PreferencePair>& pairs, const Split& split) {
  uint64_t key = MixKey(pairs.size(), split.val.size());
  for (const PreferencePair& pair : pairs) {
    for (const auto* ids : {&pair.prompt_ids, &pair.chosen_ids, &pair.rejected_ids}) {
      key = MixKey(key, ids->size());
      for (int64_t id : *ids) key = MixKey(key, static_cast<uint64_t>(id));
    }
  }
  for (int64_t i : split.val) key = MixKey(key, static_cast<uint64_t>(i));
  return Hex(key);
}

std::vector<std::string> LoraTargets(const std::vector<std::string>& target) {
  if (target.size() == 1 && (target[0] == "all" || target[0] == "all-linear")) {
    return {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  }
  return target;
}

int LocalRank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

class DpoRun {
 public:
  DpoRun(const TrainConfig& config, Communicator& comm, const TrainHooks& hooks)
      : config_(config), comm_(comm), hooks_(hooks), device_(ResolveTrainDevice(config.device)) {}

  TrainSummary Run();

 private:
  void FindResumePoint();
  void LoadData();
  void PrepareReference();
  void PlanSteps();
  void LoadPolicy();
  void SetUpOptimizer();
  void ValidateResume() const;
  void TrainStep(int64_t step);
  at::Tensor MicroBatchLoss(const std::vector<int64_t>& indices, int64_t step, int64_t micro, double scale,
                            DpoMetricSums& sums);
  void ReduceGradients();
  std::vector<std::vector<int64_t>> MicroBatchesOf(const std::vector<int64_t>& indices) const;
  PairBatch BatchOf(const std::vector<int64_t>& indices) const;
  DpoLossOutput BatchLoss(const PairBatch& batch);
  Metrics Evaluate();
  void Log(int64_t step, const Metrics& metrics, bool print);
  void Save(int64_t step_done, const Metrics& metrics);
  ModelOptions Options() const;
  bool is_lora() const { return config_.finetuning_type == "lora"; }
  bool is_root() const { return comm_.rank() == 0; }
  std::string OutPath(const std::string& name) const { return (fs::path(config_.output_dir) / name).string(); }

  TrainConfig config_;
  Communicator& comm_;
  TrainHooks hooks_;
  c10::Device device_;
  DpoLossOptions loss_options_;
  std::optional<std::string> resume_from_;
  TrainState resumed_;
  std::vector<PreferencePair> pairs_;
  Split split_;
  std::string fingerprint_;
  int64_t global_batch_ = 0;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  LrSchedule schedule_;
  std::unique_ptr<Transformer> model_;
  std::optional<LoraConfig> lora_;
  std::vector<at::Tensor> trainable_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<GradientBucketer> bucketer_;   // exact_gradient_sum: false
  std::unique_ptr<ExactGradientSum> exact_sum_;  // exact_gradient_sum: true
  int64_t epoch_cached_ = -1;
  std::vector<int64_t> epoch_order_;
  int64_t last_saved_ = -1;
  TrainSummary summary_;
};

ModelOptions DpoRun::Options() const {
  ModelOptions options;
  options.device = device_;
  if (!config_.dtype.empty()) options.dtype = ParseDtype(config_.dtype);
  return options;
}

void DpoRun::FindResumePoint() {
  if (!config_.resume) return;
  resume_from_ = LatestCheckpoint(config_.output_dir);
  if (!resume_from_) {
    if (is_root()) std::cerr << "dpo-train: no checkpoint in " << config_.output_dir << ", starting fresh\n";
    return;
  }
  resumed_ = ReadTrainState(*resume_from_);
  ValidateResume();
}

// A resume must continue the same trajectory: the keys that shape it must not change.
void DpoRun::ValidateResume() const {
  const nlohmann::json saved = nlohmann::json::parse(resumed_.config_json);
  const nlohmann::json now = nlohmann::json::parse(TrainConfigToJson(config_));
  for (const std::string& key : TrajectoryKeys()) {
    DEEPER_REQUIRE(saved.contains(key) && saved[key] == now[key], *resume_from_, ": cannot resume with ", key, " = ",
                   now[key].dump(), ", the checkpoint was trained with ",
                   saved.contains(key) ? saved[key].dump() : "(absent)");
  }
}

void DpoRun::LoadData() {
  const std::string tokenizer = config_.tokenizer.empty() ? config_.model_name_or_path : config_.tokenizer;
  PairSet set = LoadPairs(config_.pairs, config_.dataset, tokenizer, config_.template_name);
  DEEPER_REQUIRE(!set.pairs.empty(), config_.pairs, ": no pairs");
  const int64_t vocab = LoadModelConfig(config_.model_name_or_path).vocab_size;
  const TruncationOptions truncation{config_.cutoff_len, config_.max_prompt_len};
  pairs_.clear();
  for (size_t i = 0; i < set.pairs.size(); ++i) {
    ValidatePair(set.pairs[i], vocab, config_.pairs + ": pair " + std::to_string(i));
    pairs_.push_back(TruncatePair(set.pairs[i], truncation));
  }
  // Stored reference log-probs only hold for the truncation they were computed with.
  const bool refs_apply = set.ref_info && set.ref_info->cutoff_len == config_.cutoff_len &&
                          set.ref_info->max_prompt_len == config_.max_prompt_len;
  if (!refs_apply) {
    for (PreferencePair& pair : pairs_) pair.ref_chosen_logp = pair.ref_rejected_logp = std::nullopt;
  }
  split_ = SplitPairs(static_cast<int64_t>(pairs_.size()), config_.val_size, config_.seed);
  fingerprint_ = Fingerprint(pairs_, split_);
  if (resume_from_) {
    DEEPER_REQUIRE(resumed_.data_fingerprint == fingerprint_, *resume_from_,
                   ": the pairs differ from those the checkpoint was trained on (fingerprint ", fingerprint_,
                   " vs ", resumed_.data_fingerprint, ")");
  }
}

// Full fine-tuning: reference log-probs once, before the policy is loaded, kept in reference_logps.h5.
void DpoRun::PrepareReference() {
  if (is_lora()) return;
  bool all = true;
  for (const PreferencePair& pair : pairs_) all = all && pair.has_ref();
  if (all) return;
  const std::string cache = OutPath(kReferenceCache);
  if (FileExists(cache)) {
    PairSet cached = ReadPairShard(cache);
    if (cached.pairs.size() == pairs_.size() && Fingerprint(cached.pairs, split_) == fingerprint_) {
      pairs_ = std::move(cached.pairs);
      return;
    }
  }
  const std::string ref_dir = config_.ref_model.empty() ? config_.model_name_or_path : config_.ref_model;
  {
    std::unique_ptr<Transformer> reference = Transformer::Load(ref_dir, Options());
    const int64_t budget = config_.micro_batch_tokens;
    PrecomputeReferenceLogps(*reference, pairs_, comm_, budget, config_.per_device_train_batch_size, 0);
  }
  if (is_root()) {
    MakeDirs(config_.output_dir);
    WritePairShard(cache, PairSet{pairs_, RefLogpsInfo{ref_dir, config_.cutoff_len, config_.max_prompt_len}});
  }
  comm_.Barrier();
}

void DpoRun::PlanSteps() {
  const int64_t n_train = static_cast<int64_t>(split_.train.size());
  global_batch_ = resume_from_ ? resumed_.global_batch_size
                  : config_.global_batch_size > 0
                      ? config_.global_batch_size
                      : config_.per_device_train_batch_size * config_.gradient_accumulation_steps * comm_.size();
  DEEPER_REQUIRE(n_train >= global_batch_, config_.pairs, ": ", n_train, " training pairs, fewer than one global batch (",
                 global_batch_, ")");
  steps_per_epoch_ = n_train / global_batch_;  // the incomplete last batch is dropped
  total_steps_ = config_.max_steps > 0
                     ? config_.max_steps
                     : static_cast<int64_t>(std::ceil(config_.num_train_epochs * static_cast<double>(steps_per_epoch_)));
  schedule_.kind = config_.lr_scheduler_type;
  schedule_.base_lr = config_.learning_rate;
  schedule_.total_steps = total_steps_;
  schedule_.warmup_steps = config_.warmup_steps > 0
                               ? config_.warmup_steps
                               : static_cast<int64_t>(std::ceil(config_.warmup_ratio * static_cast<double>(total_steps_)));
  ValidateLrSchedule(schedule_);
}

void DpoRun::LoadPolicy() {
  const bool from_checkpoint = resume_from_.has_value();
  if (!is_lora()) {
    const std::string dir = from_checkpoint ? (fs::path(*resume_from_) / "model").string() : config_.model_name_or_path;
    model_ = Transformer::Load(dir, Options());
    model_->SetRequiresGrad(true);
    for (auto& [name, p] : model_->NamedParameters(ParamSet::kBase)) trainable_.push_back(p);
    return;
  }
  model_ = Transformer::Load(config_.model_name_or_path, Options());
  model_->SetRequiresGrad(false);
  if (from_checkpoint) {
    lora_ = LoadLoraAdapter(*model_, (fs::path(*resume_from_) / "adapter").string());
  } else if (!config_.adapter_name_or_path.empty()) {
    lora_ = LoadLoraAdapter(*model_, config_.adapter_name_or_path);
  } else {
    LoraConfig lora;
    lora.r = config_.lora_rank;
    lora.alpha = config_.lora_alpha;
    lora.dropout = config_.lora_dropout;
    lora.target_modules = LoraTargets(config_.lora_target);
    lora.base_model_name_or_path = config_.model_name_or_path;
    AttachLora(*model_, lora, config_.seed);
    lora_ = lora;
  }
  for (auto& [name, p] : model_->NamedParameters(ParamSet::kLora)) {
    p.requires_grad_(true);
    trainable_.push_back(p);
  }
}

void DpoRun::SetUpOptimizer() {
  model_->SetActivationCheckpointing(config_.gradient_checkpointing);
  BroadcastParameters(comm_, trainable_);
  AdamWOptions options{config_.adam_beta1, config_.adam_beta2, config_.adam_epsilon, config_.weight_decay};
  optimizer_ = std::make_unique<AdamW>(model_->NamedParameters(is_lora() ? ParamSet::kLora : ParamSet::kBase), options);
  if (config_.exact_gradient_sum) {
    exact_sum_ = std::make_unique<ExactGradientSum>(comm_, trainable_);
  } else {
    bucketer_ = std::make_unique<GradientBucketer>(comm_, trainable_, config_.bucket_mb << 20);
  }
  if (resume_from_) LoadOptimizerState(*resume_from_, *optimizer_, resumed_.global_step);
}

DpoLossOutput DpoRun::BatchLoss(const PairBatch& batch) {
  const int64_t b = batch.pairs;
  const at::Tensor ref = is_lora() ? ReferenceLogpsLoraOff(*model_, batch) : batch.ref_logps;
  DEEPER_REQUIRE(ref.defined(), "reference log-probs are missing for a batch");
  const at::Tensor policy = BatchLogps(*model_, batch);
  DpoInputs inputs{policy.slice(0, 0, b),     policy.slice(0, b, 2 * b),     ref.slice(0, 0, b),
                   ref.slice(0, b, 2 * b),    batch.tokens.slice(0, 0, b),   batch.tokens.slice(0, b, 2 * b)};
  return ComputeDpoLoss(inputs, loss_options_);
}

std::vector<std::vector<int64_t>> DpoRun::MicroBatchesOf(const std::vector<int64_t>& indices) const {
  return MicroBatches(pairs_, indices, config_.micro_batch_tokens, config_.per_device_train_batch_size);
}

PairBatch DpoRun::BatchOf(const std::vector<int64_t>& indices) const {
  std::vector<const PreferencePair*> batch_pairs;
  for (int64_t i : indices) batch_pairs.push_back(&pairs_[static_cast<size_t>(i)]);
  return BuildPairBatch(batch_pairs, 0, device_);
}

at::Tensor DpoRun::MicroBatchLoss(const std::vector<int64_t>& indices, int64_t step, int64_t micro, double scale,
                                  DpoMetricSums& sums) {
  // Dropout masks keyed by (seed, step, micro-batch of the global batch): a resume, or a run on another
  // number of ranks, draws the same ones.
  at::manual_seed(MixKey(MixKey(config_.seed, static_cast<uint64_t>(step)), static_cast<uint64_t>(micro)));
  DpoLossOutput out = BatchLoss(BatchOf(indices));
  sums.Add(out);
  return out.losses.sum() * scale;
}

void DpoRun::ReduceGradients() {
  if (exact_sum_) {
    exact_sum_->Finish();
  } else {
    bucketer_->AllReduceMeanGradients();
  }
}

// The global batch is cut into micro-batches independently of the world size and each rank runs a
// contiguous share of them, so every micro-batch computes the same numbers on any number of ranks; the
// exact gradient sum then makes the step itself independent of the world size.
void DpoRun::TrainStep(int64_t step) {
  const int64_t epoch = step / steps_per_epoch_;
  if (epoch != epoch_cached_) {
    epoch_order_ = EpochOrder(split_.train, config_.seed, epoch);
    epoch_cached_ = epoch;
  }
  const int64_t first = (step % steps_per_epoch_) * global_batch_;
  const std::vector<int64_t> global(epoch_order_.begin() + first, epoch_order_.begin() + first + global_batch_);
  const auto micro_batches = MicroBatchesOf(global);
  const int64_t n_micro = static_cast<int64_t>(micro_batches.size());
  const UnitRange share = RankShare(n_micro, comm_.rank(), comm_.size());
  if (step == 0 && is_root() && n_micro < comm_.size()) {
    std::cerr << "dpo-train: a step has " << n_micro << " micro-batches for " << comm_.size() << " ranks; "
              << comm_.size() - n_micro << " ranks idle (lower per_device_train_batch_size or raise the global batch)\n";
  }
  // The bucketed all-reduce averages over ranks; the exact sum adds.
  const double scale = (exact_sum_ ? 1.0 : static_cast<double>(comm_.size())) / static_cast<double>(global_batch_);
  model_->SetTraining(true);
  optimizer_->ZeroGrad();
  std::vector<DpoMetricSums> sums;
  for (int64_t m = share.begin; m < share.end; ++m) {
    sums.emplace_back(device_);
    MicroBatchLoss(micro_batches[static_cast<size_t>(m)], step, m, scale, sums.back()).backward();
    if (exact_sum_) exact_sum_->Capture();
  }
  ReduceGradients();
  const double grad_norm = ClipGradNorm(trainable_, config_.max_grad_norm);
  const double lr = schedule_.At(step);
  optimizer_->Step(lr);
  Metrics metrics = DpoMetricSums::InUnitOrder(comm_, sums, share.begin, n_micro, device_).Means("");
  metrics.emplace_back("grad_norm", grad_norm);
  metrics.emplace_back("learning_rate", lr);
  summary_.last_metrics = metrics;
  const int64_t done = step + 1;
  const bool print = config_.logging_steps > 0 && (done % config_.logging_steps == 0 || done == total_steps_);
  Log(done, metrics, print);
  if (!split_.val.empty() && ((config_.eval_steps > 0 && done % config_.eval_steps == 0) || done == total_steps_)) {
    Log(done, Evaluate(), true);
  }
  if ((config_.save_steps > 0 && done % config_.save_steps == 0) || done == total_steps_) Save(done, metrics);
  if (hooks_.on_model) hooks_.on_model(done, *model_);
  if (hooks_.on_step) hooks_.on_step(done, metrics);
}

Metrics DpoRun::Evaluate() {
  c10::NoGradGuard no_grad;
  model_->SetTraining(false);
  const auto micro_batches = MicroBatchesOf(split_.val);
  const int64_t n_micro = static_cast<int64_t>(micro_batches.size());
  const UnitRange share = RankShare(n_micro, comm_.rank(), comm_.size());
  std::vector<DpoMetricSums> sums;
  for (int64_t m = share.begin; m < share.end; ++m) {
    sums.emplace_back(device_);
    sums.back().Add(BatchLoss(BatchOf(micro_batches[static_cast<size_t>(m)])));
  }
  Metrics metrics = DpoMetricSums::InUnitOrder(comm_, sums, share.begin, n_micro, device_).Means("eval_");
  summary_.last_eval = metrics;
  return metrics;
}

void DpoRun::Log(int64_t step, const Metrics& metrics, bool print) {
  if (!is_root()) return;
  const std::string line =
      MetricsJsonLine(step, static_cast<double>(step) / static_cast<double>(steps_per_epoch_), metrics);
  AppendLine(OutPath("metrics.jsonl"), line);
  if (print && hooks_.print) std::cout << line << std::endl;
}

void DpoRun::Save(int64_t step_done, const Metrics& metrics) {
  if (step_done == last_saved_) return;
  if (is_root()) {
    TrainState state;
    state.global_step = step_done;
    state.total_steps = total_steps_;
    state.steps_per_epoch = steps_per_epoch_;
    state.epoch = step_done / steps_per_epoch_;
    state.batch_in_epoch = step_done % steps_per_epoch_;
    state.global_batch_size = global_batch_;
    state.world_size = comm_.size();
    state.seed = config_.seed;
    state.data_fingerprint = fingerprint_;
    state.config_json = TrainConfigToJson(config_);
    state.metrics_json = nlohmann::json::parse(MetricsJsonLine(step_done, 0, metrics)).dump();
    summary_.last_checkpoint = SaveTrainCheckpoint(config_.output_dir, state, *model_, lora_ ? &*lora_ : nullptr,
                                                   *optimizer_);
    PruneCheckpoints(config_.output_dir, config_.save_total_limit);
  }
  last_saved_ = step_done;
  // No rank runs ahead of a checkpoint that is still being written.
  comm_.Barrier();
}

TrainSummary DpoRun::Run() {
  ValidateTrainConfig(config_);
  loss_options_.type = ParseDpoLossType(config_.pref_loss);
  loss_options_.beta = config_.pref_beta;
  loss_options_.label_smoothing = config_.dpo_label_smoothing;
  loss_options_.gamma = config_.pref_margin;
  loss_options_.ftx = config_.pref_ftx;
  ValidateDpoLossOptions(loss_options_);
  if (config_.threads > 0) SetTorchThreads(config_.threads);
  if (is_root()) MakeDirs(config_.output_dir);
  comm_.Barrier();
  FindResumePoint();
  LoadData();
  PrepareReference();
  PlanSteps();
  LoadPolicy();
  SetUpOptimizer();
  int64_t step = 0;
  if (resume_from_) {
    step = resumed_.global_step;
    last_saved_ = step;
    summary_.last_checkpoint = *resume_from_;
    if (is_root()) TruncateMetricsLog(OutPath("metrics.jsonl"), step);
  }
  for (; step < total_steps_; ++step) TrainStep(step);
  summary_.global_step = step;
  return summary_;
}

}  // namespace

c10::Device ResolveTrainDevice(const std::string& device) {
  const c10::Device parsed = ParseDevice(device);
  const bool indexed = device.find(':') != std::string::npos;
  if (parsed.is_cuda() && !indexed) return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(LocalRank()));
  return parsed;
}

TrainSummary TrainDpo(const TrainConfig& config, Communicator& comm, const TrainHooks& hooks) {
  // Reference and policy log-probs from the same ATen ops: at step 0 they are equal to the bit (the
  // CPU decode kernels would round no-grad passes differently).
  cpu::KernelsOffScope aten_only;
  DpoRun run(config, comm, hooks);
  return run.Run();
}

}  // namespace deeper
