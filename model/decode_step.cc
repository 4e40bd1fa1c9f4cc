#include "model/decode_step.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#ifdef DEEPER_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "model/kv_cache.h"
#include "model/transformer.h"

namespace deeper {

#ifdef DEEPER_WITH_CUDA
// One captured step and the fixed buffers it reads and writes.
struct DecodeStep::Graph {
  at::cuda::CUDAGraph graph;
  at::Tensor tokens;  // [B,1] int64
  at::Tensor active;  // [B,1] bool
  at::Tensor logits;  // [B,V] fp32, written by every replay
  int64_t batch = 0;
  int64_t buffers_version = -1;
};

namespace {

// Warm-up and capture run on one side stream: capture may not use the legacy default stream, and
// cuBLAS keeps its workspace per stream.
c10::cuda::CUDAStream CaptureStream(c10::Device device) {
  static std::optional<c10::cuda::CUDAStream> stream;
  if (!stream) stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index());
  return *stream;
}

}  // namespace
#else
struct DecodeStep::Graph {};
#endif

bool DecodeStep::GraphsEnabledByEnvironment() {
  const char* value = std::getenv("DEEPER_CUDA_GRAPHS");
  return value == nullptr || std::strcmp(value, "0") != 0;
}

DecodeStep::DecodeStep(const Transformer& model, KvCache* cache, bool fixed_shape, bool graphs)
    : model_(model), cache_(cache) {
#ifdef DEEPER_WITH_CUDA
  graphs_ = graphs && model.device().is_cuda() && GraphsEnabledByEnvironment();
#endif
  cache_->SetFixedShapeDecode(fixed_shape || graphs_);
}

DecodeStep::~DecodeStep() = default;

at::Tensor DecodeStep::Eager(const at::Tensor& tokens, const at::Tensor& active) {
  return model_.Forward(tokens.view({-1, 1}), active.view({-1, 1}), cache_).select(1, 0);
}

at::Tensor DecodeStep::Run(const at::Tensor& tokens, const at::Tensor& active) {
#ifdef DEEPER_WITH_CUDA
  if (graphs_) {
    if (graph_ && (graph_->batch != cache_->batch() || graph_->buffers_version != cache_->buffers_version())) {
      graph_.reset();
    }
    const c10::Device device = model_.device();
    const c10::cuda::CUDAStream stream = CaptureStream(device);
    if (!graph_ && !warmed_up_) {
      // The first step runs for real on the capture stream: cuBLAS handles, workspaces and allocator
      // blocks then exist before anything is captured.
      c10::cuda::device_synchronize();
      at::Tensor logits;
      {
        c10::cuda::CUDAStreamGuard guard(stream);
        logits = Eager(tokens, active);
      }
      c10::cuda::device_synchronize();
      warmed_up_ = true;
      return logits;
    }
    if (!graph_) {
      auto graph = std::make_unique<Graph>();
      graph->tokens = tokens.view({-1, 1}).clone();
      graph->active = active.view({-1, 1}).to(at::kBool).clone();
      graph->batch = cache_->batch();
      graph->buffers_version = cache_->buffers_version();
      const int64_t length = cache_->length();
      c10::cuda::device_synchronize();
      try {
        c10::cuda::CUDAStreamGuard guard(stream);
        graph->graph.capture_begin();
        graph->logits = Eager(graph->tokens, graph->active);
        graph->graph.capture_end();
      } catch (const std::exception& e) {
        // An op that cannot be captured (a libtorch version's host sync, say): decode eagerly from now on.
        cache_->SetHostLength(length);
        graphs_ = false;
        std::fprintf(stderr, "generation: CUDA graph capture failed, decoding without graphs: %s\n", e.what());
        return Eager(tokens, active);
      }
      cache_->SetHostLength(length);  // The capture recorded an append that did not run.
      graph_ = std::move(graph);
      ++captures_;
    }
    graph_->tokens.copy_(tokens.view({-1, 1}));
    graph_->active.copy_(active.view({-1, 1}));
    graph_->graph.replay();
    cache_->SetHostLength(cache_->length() + 1);
    return graph_->logits;
  }
#endif
  return Eager(tokens, active);
}

}  // namespace deeper
