// The one libtorch-heavy unit of warm start: the SFT forward/backward loop.
#include "stages/warm_start/sft_trainer.h"

#include <c10/core/GradMode.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/eq.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/nll_loss.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <cmath>

#include "common/error.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/lr_schedule.h"

namespace deeper {
namespace {

// A batch as tensors: right-padded ids and mask, and for every completion token the flat index of the
// position that predicts it and the token itself. A batch with packed examples also carries explicit
// positions and visibility (sft_example.h); one without keeps the plain causal path.
struct SftBatch {
  at::Tensor ids;        // int64 [B,S]
  at::Tensor mask;       // int64 [B,S]
  at::Tensor positions;  // int64 [N] into B*S
  at::Tensor targets;    // int64 [N]
  at::Tensor rope_positions;  // int64 [B,S]; packed batches only
  at::Tensor visible;         // bool [B,S,S]; packed batches only
  int64_t padded_tokens = 0;
};

at::Tensor LongTensor(std::vector<int64_t> values, at::IntArrayRef shape) {
  return at::from_blob(values.data(), shape, at::TensorOptions().dtype(at::kLong)).clone();
}

SftBatch MakeBatch(const std::vector<SftExample>& examples, const std::vector<int64_t>& indices) {
  int64_t longest = 0;
  bool packed = false;
  for (int64_t i : indices) {
    longest = std::max(longest, examples[static_cast<size_t>(i)].length());
    packed = packed || examples[static_cast<size_t>(i)].packed();
  }
  const int64_t rows = static_cast<int64_t>(indices.size());
  std::vector<int64_t> ids(static_cast<size_t>(rows * longest), 0), mask(ids.size(), 0), positions, targets;
  std::vector<int64_t> rope(packed ? ids.size() : 0, 0);
  std::vector<uint8_t> visible(packed ? static_cast<size_t>(rows * longest * longest) : 0, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const SftExample& e = examples[static_cast<size_t>(indices[static_cast<size_t>(r)])];
    DEEPER_REQUIRE(!e.prompt.empty() && (e.packed() ? e.completion.empty() : !e.completion.empty()), "sft: example ",
                   indices[static_cast<size_t>(r)], " has an empty prompt or completion (or both a completion and branches)");
    const int64_t row = r * longest;
    int64_t p = row;
    // Appends prompt + completion as a segment whose queries see [row, row + seen) and the segment up
    // to themselves, at RoPE positions from `first_position`.
    auto segment = [&](const std::vector<int64_t>& prompt, const std::vector<int64_t>& completion, int64_t seen,
                       int64_t first_position) {
      const int64_t begin = p;
      for (size_t t = 0; t < prompt.size() + completion.size(); ++t) {
        if (t >= prompt.size()) {
          DEEPER_REQUIRE(p > row, "sft: a completion token cannot start a row");
          positions.push_back(p - 1);  // the position before a completion token predicts it
          targets.push_back(completion[t - prompt.size()]);
        }
        ids[static_cast<size_t>(p)] = t < prompt.size() ? prompt[t] : completion[t - prompt.size()];
        if (packed) {
          rope[static_cast<size_t>(p)] = first_position + static_cast<int64_t>(t);
          uint8_t* line = visible.data() + static_cast<size_t>((r * longest + (p - row)) * longest);
          std::fill(line, line + seen, 1);
          std::fill(line + (begin - row), line + (p - row) + 1, 1);
        }
        ++p;
      }
    };
    segment(e.prompt, e.completion, 0, 0);
    const int64_t prefix = static_cast<int64_t>(e.prompt.size());
    for (const SftBranch& b : e.branches) {
      DEEPER_REQUIRE(!b.prompt.empty() && !b.completion.empty(), "sft: example ", indices[static_cast<size_t>(r)],
                     " has a branch with an empty prompt or completion");
      segment(b.prompt, b.completion, prefix, prefix);
    }
    std::fill(mask.begin() + row, mask.begin() + p, 1);
    if (packed) {  // padding sees itself, so no softmax runs over nothing
      for (int64_t q = p; q < row + longest; ++q) visible[static_cast<size_t>((r * longest + (q - row)) * longest + (q - row))] = 1;
    }
  }
  SftBatch batch;
  const auto n = static_cast<int64_t>(targets.size());
  batch.ids = LongTensor(std::move(ids), {rows, longest});
  batch.mask = LongTensor(std::move(mask), {rows, longest});
  batch.positions = LongTensor(std::move(positions), {n});
  batch.targets = LongTensor(std::move(targets), {n});
  if (packed) {
    batch.rope_positions = LongTensor(std::move(rope), {rows, longest});
    batch.visible = at::from_blob(visible.data(), {rows, longest, longest}, at::TensorOptions().dtype(at::kByte))
                        .to(at::kBool);
  }
  batch.padded_tokens = rows * longest;
  return batch;
}

// Summed cross-entropy and correct-token count of a batch; differentiable in the model's parameters.
struct BatchLoss {
  at::Tensor sum;  // scalar
  int64_t tokens = 0;
  int64_t correct = 0;
};

BatchLoss Loss(const Transformer& model, const SftBatch& batch) {
  const at::Tensor hidden = batch.visible.defined()
                                ? model.ForwardHiddenPacked(batch.ids, batch.rope_positions, batch.visible)
                                : model.ForwardHidden(batch.ids, batch.mask);
  const at::Tensor flat = hidden.reshape({-1, hidden.size(-1)}).index_select(0, batch.positions.to(hidden.device()));
  const at::Tensor logp = at::log_softmax(model.Logits(flat), -1);
  const at::Tensor targets = batch.targets.to(logp.device());
  BatchLoss out;
  out.sum = at::nll_loss(logp, targets, {}, at::Reduction::Sum);
  out.tokens = targets.size(0);
  out.correct = at::eq(at::argmax(logp.detach(), -1), targets).sum().item<int64_t>();
  return out;
}

std::vector<at::Tensor> Tensors(const std::vector<std::pair<std::string, at::Tensor>>& named) {
  std::vector<at::Tensor> out;
  for (const auto& [name, t] : named) out.push_back(t);
  return out;
}

double Mean(const std::deque<double>& values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

}  // namespace

int64_t SftTotalSteps(const std::vector<SftExample>& examples, const SftOptions& options) {
  if (options.max_steps > 0) return options.max_steps;
  const auto per_epoch = static_cast<int64_t>(SftEpochBatches(examples, options.batches, options.seed, 0).size());
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(options.epochs * static_cast<double>(per_epoch))));
}

SftSummary TrainSft(Transformer& model, const std::vector<SftExample>& examples, const SftOptions& options,
                    const std::function<void(const SftStepLog&)>& on_log) {
  DEEPER_REQUIRE(!examples.empty(), "sft: no training examples");
  LrSchedule schedule;
  schedule.kind = options.lr_scheduler_type;
  schedule.base_lr = options.learning_rate;
  schedule.total_steps = SftTotalSteps(examples, options);
  schedule.warmup_steps = std::min(options.warmup_steps, schedule.total_steps);
  schedule.min_lr_ratio = options.min_lr_ratio;
  ValidateLrSchedule(schedule);

  model.SetRequiresGrad(true);
  model.SetTraining(true);
  const auto params = model.NamedParameters(ParamSet::kBase);
  AdamWOptions adam{options.adam_beta1, options.adam_beta2, options.adam_epsilon, options.weight_decay};
  AdamW optimizer(params, adam);
  const std::vector<at::Tensor> tensors = Tensors(params);

  const auto started = std::chrono::steady_clock::now();
  SftSummary summary;
  double window_loss = 0.0;
  int64_t window_tokens = 0, window_correct = 0;
  bool first_window = true;
  std::deque<double> recent_losses;  // of the last stop_windows logged windows
  int64_t epoch = 0;
  std::vector<std::vector<int64_t>> batches;
  size_t next = 0;
  for (int64_t step = 0; step < schedule.total_steps && !summary.reached_stop_loss; ++step) {
    if (next == batches.size()) {
      batches = SftEpochBatches(examples, options.batches, options.seed, epoch++);
      next = 0;
    }
    const SftBatch batch = MakeBatch(examples, batches[next++]);
    const BatchLoss loss = Loss(model, batch);
    (loss.sum / static_cast<double>(loss.tokens)).backward();
    const double norm = ClipGradNorm(tensors, options.max_grad_norm);
    const double lr = schedule.At(step);
    optimizer.Step(lr);
    optimizer.ZeroGrad();

    window_loss += loss.sum.item<double>();
    window_tokens += loss.tokens;
    window_correct += loss.correct;
    summary.tokens += batch.padded_tokens;
    const bool last = step + 1 == schedule.total_steps;
    if (last || (options.log_every > 0 && (step + 1) % options.log_every == 0)) {
      SftStepLog log;
      log.step = step + 1;
      log.total_steps = schedule.total_steps;
      log.loss = window_loss / static_cast<double>(window_tokens);
      log.accuracy = static_cast<double>(window_correct) / static_cast<double>(window_tokens);
      log.learning_rate = lr;
      log.grad_norm = norm;
      log.tokens = summary.tokens;
      log.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (first_window) summary.first_loss = log.loss;
      first_window = false;
      summary.final_loss = log.loss;
      summary.final_accuracy = log.accuracy;
      summary.steps = step + 1;
      recent_losses.push_back(log.loss);
      if (static_cast<int>(recent_losses.size()) > options.stop_windows) recent_losses.pop_front();
      summary.reached_stop_loss = options.stop_loss > 0 && static_cast<int>(recent_losses.size()) == options.stop_windows &&
                                  Mean(recent_losses) < options.stop_loss;
      if (on_log) on_log(log);
      window_loss = 0.0;
      window_tokens = window_correct = 0;
    }
  }
  model.SetTraining(false);
  model.SetRequiresGrad(false);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

double SftLoss(const Transformer& model, const std::vector<SftExample>& examples, const SftBatchOptions& batches) {
  DEEPER_REQUIRE(!examples.empty(), "sft: no examples to score");
  c10::NoGradGuard no_grad;
  double sum = 0.0;
  int64_t tokens = 0;
  for (const auto& indices : SftEpochBatches(examples, batches, /*seed=*/0, /*epoch=*/0)) {
    const BatchLoss loss = Loss(model, MakeBatch(examples, indices));
    sum += loss.sum.item<double>();
    tokens += loss.tokens;
  }
  return sum / static_cast<double>(tokens);
}

}  // namespace deeper
