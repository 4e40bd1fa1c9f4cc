// bench_dpo: throughput of a DPO step (stacked chosen/rejected forward with fp32 completion log-probs,
// sigmoid loss against precomputed reference log-probs, backward, clipping, AdamW) on a checkpoint, with
// a synthetic batch that tools/train/bench_dpo.py rebuilds identically. Full fine-tuning or LoRA (r on
// all seven projections, reference = adapters off as in training), CPU or CUDA, fp32 or bf16.
//   bench_dpo --model DIR [--pairs 4] [--prompt_len 96] [--completion_len 32] [--steps 5] [--warmup 2]
//             [--threads 2] [--lr 1e-5] [--device cpu|cuda] [--dtype f32|bf16] [--mode full|lora]
//             [--lora_rank 16] [--checkpointing 0|1] [--peak_tflops 0]
// Prints one JSON line: tokens_per_s = 2 * pairs * (prompt_len + completion_len) / median step time, and
// mfu = tokens_per_s * 8 * base params / peak_tflops (the convention of issue 7: forward 2, backward 4,
// recomputation 2 FLOPs per parameter and token; 0 when --peak_tflops is not given) and peak_gb, the CUDA
// allocator's peak of tensor memory during the steps (0 on the CPU).
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "model/lora.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "train/adamw.h"
#include "train/dpo_loss.h"
#include "train/pair_batch.h"

namespace deeper {
namespace {

struct Args {
  std::string model;
  int64_t pairs = 4, prompt_len = 96, completion_len = 32, steps = 5, warmup = 2;
  int threads = 2;
  double lr = 1e-5;
  std::string device = "cpu", dtype = "f32", mode = "full";
  int64_t lora_rank = 16;
  bool checkpointing = false;
  double peak_tflops = 0;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") a.model = v;
    else if (k == "--pairs") a.pairs = std::atoll(v.c_str());
    else if (k == "--prompt_len") a.prompt_len = std::atoll(v.c_str());
    else if (k == "--completion_len") a.completion_len = std::atoll(v.c_str());
    else if (k == "--steps") a.steps = std::atoll(v.c_str());
    else if (k == "--warmup") a.warmup = std::atoll(v.c_str());
    else if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--lr") a.lr = std::atof(v.c_str());
    else if (k == "--device") a.device = v;
    else if (k == "--dtype") a.dtype = v;
    else if (k == "--mode") a.mode = v;
    else if (k == "--lora_rank") a.lora_rank = std::atoll(v.c_str());
    else if (k == "--checkpointing") a.checkpointing = v == "1" || v == "true";
    else if (k == "--peak_tflops") a.peak_tflops = std::atof(v.c_str());
    else {
      std::fprintf(stderr, "bench_dpo: unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.mode != "full" && a.mode != "lora") {
    std::fprintf(stderr, "bench_dpo: --mode must be full or lora\n");
    std::exit(2);
  }
  if (a.model.empty()) {
    std::fprintf(stderr, "usage: bench_dpo --model DIR [--pairs N] [--prompt_len P] [--completion_len C] ...\n");
    std::exit(2);
  }
  return a;
}

// The token of row `pair`, position t, part s (0 prompt, 1 chosen, 2 rejected); bench_dpo.py uses the same.
int64_t Token(int64_t pair, int64_t t, int64_t s, int64_t vocab) {
  return 1 + (pair * 7919 + t * 104729 + s * 15485863 + 13) % (vocab - 1);
}

std::vector<PreferencePair> SyntheticPairs(const Args& a, int64_t vocab) {
  std::vector<PreferencePair> pairs(static_cast<size_t>(a.pairs));
  for (int64_t i = 0; i < a.pairs; ++i) {
    for (int64_t t = 0; t < a.prompt_len; ++t) pairs[i].prompt_ids.push_back(Token(i, t, 0, vocab));
    for (int64_t t = 0; t < a.completion_len; ++t) {
      pairs[i].chosen_ids.push_back(Token(i, t, 1, vocab));
      pairs[i].rejected_ids.push_back(Token(i, t, 2, vocab));
    }
  }
  return pairs;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// A host read of a value the step produced: waits for the device (CUDA work is asynchronous), so the
// clock measures finished work, without a CUDA header in this file.
void Sync(const at::Tensor& t) { (void)t.reshape({-1})[0].item<double>(); }

int Main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  SetTorchThreads(a.threads);
  ModelOptions options;
  options.device = ParseDevice(a.device);
  options.dtype = ParseDtype(a.dtype);
  auto model = Transformer::Load(a.model, options);
  const bool lora = a.mode == "lora";
  int64_t base_params = 0;
  for (auto& [name, p] : model->NamedParameters()) base_params += p.numel();
  const int64_t vocab = model->config().vocab_size;
  const std::vector<PreferencePair> pairs = SyntheticPairs(a, vocab);
  std::vector<const PreferencePair*> pointers;
  for (const PreferencePair& p : pairs) pointers.push_back(&p);
  const PairBatch batch = BuildPairBatch(pointers, 0, model->device());
  const int64_t b = a.pairs;
  at::Tensor ref;
  {
    c10::NoGradGuard no_grad;
    ref = BatchLogps(*model, batch);  // the reference = the initial policy, computed once as in training
  }
  model->SetRequiresGrad(!lora);
  if (lora) {
    LoraConfig config;
    config.r = a.lora_rank;
    config.alpha = 2.0 * static_cast<double>(a.lora_rank);
    config.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    AttachLora(*model, config, 1);
    for (auto& [name, p] : model->NamedParameters(ParamSet::kLora)) p.requires_grad_(true);
  }
  model->SetTraining(true);
  model->SetActivationCheckpointing(a.checkpointing);
  const ParamSet trained = lora ? ParamSet::kLora : ParamSet::kBase;
  std::vector<at::Tensor> params;
  int64_t numel = 0;
  for (auto& [name, p] : model->NamedParameters(trained)) {
    params.push_back(p);
    numel += p.numel();
  }
  AdamW optimizer(model->NamedParameters(trained), AdamWOptions{});
  ResetPeakDeviceMemory(model->device());
  std::vector<double> times, forward_times, backward_times, update_times;
  double first_logp = 0, first_loss = 0;
  for (int64_t step = 0; step < a.warmup + a.steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    optimizer.ZeroGrad();
    const at::Tensor policy = BatchLogps(*model, batch);
    const DpoInputs in{policy.slice(0, 0, b),     policy.slice(0, b, 2 * b),      ref.slice(0, 0, b),
                       ref.slice(0, b, 2 * b),    batch.tokens.slice(0, 0, b),    batch.tokens.slice(0, b, 2 * b)};
    const at::Tensor loss = ComputeDpoLoss(in, DpoLossOptions{}).losses.mean();
    Sync(loss);
    const double forward_s = Seconds(start);
    loss.backward();
    Sync(params.back().grad());
    const double backward_s = Seconds(start) - forward_s;
    ClipGradNorm(params, 1.0);
    optimizer.Step(a.lr);
    Sync(params.back());
    if (step == 0) {
      first_logp = policy[0].item<double>();
      first_loss = loss.item<double>();
    }
    const double seconds = Seconds(start);
    if (step >= a.warmup) {
      times.push_back(seconds);
      forward_times.push_back(forward_s);
      backward_times.push_back(backward_s);
      update_times.push_back(seconds - forward_s - backward_s);
    }
  }
  const double median = Median(times);
  const double tokens = static_cast<double>(2 * a.pairs * (a.prompt_len + a.completion_len));
  const double mfu = a.peak_tflops > 0 ? tokens / median * 8.0 * static_cast<double>(base_params) / (a.peak_tflops * 1e12) : 0;
  std::printf("{\"impl\": \"deeper\", \"mode\": \"%s\", \"device\": \"%s\", \"dtype\": \"%s\", \"params\": %lld, "
              "\"trained_params\": %lld, \"threads\": %d, \"checkpointing\": %d, \"tokens_per_step\": %.0f, "
              "\"step_ms_median\": %.2f, \"forward_ms\": %.2f, \"backward_ms\": %.2f, \"update_ms\": %.2f, "
              "\"tokens_per_s\": %.1f, \"mfu\": %.4f, \"peak_gb\": %.2f, \"step0_policy_chosen_logp\": %.6f, \"step0_loss\": %.8f}\n",
              a.mode.c_str(), a.device.c_str(), a.dtype.c_str(), static_cast<long long>(base_params),
              static_cast<long long>(numel), a.threads, a.checkpointing ? 1 : 0, tokens, median * 1e3,
              Median(forward_times) * 1e3, Median(backward_times) * 1e3, Median(update_times) * 1e3, tokens / median,
              mfu, std::max<double>(0, static_cast<double>(PeakDeviceMemory(model->device()))) / (1 << 30), first_logp,
              first_loss);
  return 0;
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) { return deeper::Main(argc, argv); }
