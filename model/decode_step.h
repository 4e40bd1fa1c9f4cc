// One decode step of generation (a token per row through Transformer::Forward with a KV cache), run
// eagerly or replayed from a CUDA graph.
//
// Why graphs: a decode step of a 1B model is ~900 small kernels; issued one by one from the host they
// take ~9 ms on an H100 whose memory-bound work takes ~1 ms (docs/gpu_benchmark.md). Captured once and
// replayed, the host issues one launch per step. Capture needs fixed shapes, so the cache runs its
// one-token appends in fixed-shape form (KvCache::SetFixedShapeDecode: attention over the whole
// capacity under the key mask, writes at a device-side column); the results are the same.
//
// The first step runs eagerly (it warms up cuBLAS and the allocator on the capture stream), the second
// is captured, every later one replays. A reallocation of the cache (SelectRows, when the batch shrinks)
// invalidates the graph; the next step captures a new one. Without a CUDA build, on the CPU, or with
// DEEPER_CUDA_GRAPHS=0 in the environment, every step runs eagerly (the fixed-shape form is still
// available on the CPU, for tests).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

namespace deeper {

class KvCache;
class Transformer;

class DecodeStep {
 public:
  // `cache` must outlive this object. `fixed_shape` puts the cache in fixed-shape form; `graphs`
  // (honoured only on CUDA builds and CUDA models, and implying fixed_shape) replays captured steps.
  DecodeStep(const Transformer& model, KvCache* cache, bool fixed_shape, bool graphs);
  ~DecodeStep();

  // Next-token logits [B, V] fp32 after appending tokens [B] (int64) to every row; rows with
  // active[b] false append a masked pad. The result may be overwritten by the next Run.
  at::Tensor Run(const at::Tensor& tokens, const at::Tensor& active);

  // Graphs captured so far (0: every step ran eagerly).
  int64_t captures() const { return captures_; }

  // True unless the environment sets DEEPER_CUDA_GRAPHS=0.
  static bool GraphsEnabledByEnvironment();

 private:
  at::Tensor Eager(const at::Tensor& tokens, const at::Tensor& active);

  struct Graph;  // CUDA builds only.
  const Transformer& model_;
  KvCache* cache_;
  bool graphs_ = false;
  bool warmed_up_ = false;
  int64_t captures_ = 0;
  std::unique_ptr<Graph> graph_;
};

}  // namespace deeper
