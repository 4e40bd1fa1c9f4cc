// Generation throughput of the C++ engine on a batch of equal-length prompts, no stop tokens, so every
// row produces exactly --max_new tokens (the same work as reference_generate.py).
//   bench_generate --model DIR --ids IDS.safetensors --max_new N --threads T [--runs 3] [--warmup 1]
//                  [--temperature T --top_k K --top_p P --seed S] [--batch R] [--out OUT.safetensors]
// Prints `key=value` lines; tokens_per_s counts new tokens over the whole call (prefill included).
#include <gflags/gflags.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <vector>

#include "common/error.h"
#include "model/checkpoint.h"
#include "model/cpu_kernels.h"
#include "model/generation.h"
#include "model/runtime.h"
#include "model/safetensors.h"
#include "model/transformer.h"

DEFINE_string(model, "", "model directory");
DEFINE_string(ids, "", "safetensors with input_ids I64 [B,T]");
DEFINE_int32(max_new, 64, "new tokens per row");
DEFINE_int32(threads, 1, "intra-op threads");
DEFINE_int32(runs, 3, "timed runs (the median is reported)");
DEFINE_int32(warmup, 1, "untimed runs first");
DEFINE_double(temperature, 0.0, "0 = greedy");
DEFINE_int32(top_k, 0, "top-k (0 = off)");
DEFINE_double(top_p, 1.0, "top-p (1 = off)");
DEFINE_uint64(seed, 0, "sampling seed; row i uses key i");
DEFINE_int32(batch, 0, "rows decoded together (0 = all prompts)");
DEFINE_string(out, "", "write output_ids I64 [B, max_new] of the last run here");
DEFINE_string(device, "cpu", "cpu, cuda or cuda:N");
DEFINE_string(dtype, "", "weight dtype f32/bf16/f16 (empty: f32 on CPU, bf16 on CUDA)");
DEFINE_bool(cuda_graphs, true, "replay decode steps from CUDA graphs (CUDA builds and devices only)");

namespace deeper {
namespace {

int Run() {
  DEEPER_REQUIRE(!FLAGS_model.empty() && !FLAGS_ids.empty(), "--model and --ids are required");
  SetTorchThreads(FLAGS_threads);
  ModelOptions model_options;
  model_options.device = ParseDevice(FLAGS_device);
  if (!FLAGS_dtype.empty()) model_options.dtype = ParseDtype(FLAGS_dtype);
  const auto model = Transformer::Load(FLAGS_model, model_options);
  const at::Tensor ids = LoadSafetensors(FLAGS_ids).at("input_ids").to(at::kLong).contiguous();
  const int64_t rows = ids.size(0), cols = ids.size(1);
  std::vector<GenerationRequest> requests(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* row = ids.data_ptr<int64_t>() + r * cols;
    requests[r].prompt.assign(row, row + cols);
    requests[r].key = r;
  }
  GenerationOptions options;
  options.max_batch = FLAGS_batch > 0 ? FLAGS_batch : rows;
  options.max_new_tokens = FLAGS_max_new;
  options.sampling.greedy = FLAGS_temperature <= 0.0;
  options.sampling.temperature = FLAGS_temperature;
  options.sampling.top_k = FLAGS_top_k;
  options.sampling.top_p = FLAGS_top_p;
  options.sampling.seed = FLAGS_seed;
  options.cuda_graphs = FLAGS_cuda_graphs;

  std::vector<double> times;
  std::vector<GenerationResult> results;
  GenerationStats stats;
  for (int run = 0; run < FLAGS_warmup + FLAGS_runs; ++run) {
    const auto begin = std::chrono::steady_clock::now();
    results = Generate(*model, requests, options, &stats);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (run >= FLAGS_warmup) times.push_back(seconds);
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  if (!FLAGS_out.empty()) {
    std::vector<int64_t> out(rows * FLAGS_max_new, -1);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy(results[r].tokens.begin(), results[r].tokens.end(), out.begin() + r * FLAGS_max_new);
    }
    WriteSafetensors(FLAGS_out, {{"output_ids", StDtype::kI64, {rows, FLAGS_max_new}, out.data(), out.size() * 8}});
  }
  std::cout << "impl=deeper-cpp device=" << FLAGS_device << " threads=" << FLAGS_threads << " batch=" << rows << " prompt=" << cols
            << " new=" << FLAGS_max_new << "\n"
            << "median_s=" << median << "\n"
            << "tokens_per_s=" << stats.generated_tokens / median << "\n"
            << "decode_steps=" << stats.decode_steps << " row_steps=" << stats.row_steps << "\n"
            // Host time per decode step: issuing it vs waiting for the device (last run).
            << "prefill_ms=" << stats.prefill_s * 1e3
            << " enqueue_ms_per_step=" << stats.decode_enqueue_s * 1e3 / std::max<int64_t>(1, stats.decode_steps)
            << " sync_wait_ms_per_step=" << stats.sync_wait_s * 1e3 / std::max<int64_t>(1, stats.decode_steps) << "\n"
            << "cpu_kernels=" << cpu::KernelIsaName() << " graph_captures=" << stats.graph_captures << "\n";
  return 0;
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  try {
    return deeper::Run();
  } catch (const std::exception& e) {
    std::cerr << "bench_generate: " << e.what() << "\n";
    return 1;
  }
}
