// Batched autoregressive generation with a preallocated KV cache and continuous row refill.
//
// Prompts are ragged token-id vectors. Up to `max_batch` of them decode together, left-padded in one
// KvCache; when a row finishes (a stop token, or its max_new_tokens) and prompts are still waiting, the
// next one is prefilled on its own and copied into the freed row (KvCache::CopyRows), so the batch
// stays full. Once the queue is empty, finished rows are dropped from the batch instead.
//
// Device discipline: the decode step keeps all row bookkeeping (active flags, token counts, stop sets,
// random streams, the output buffer) on the model's device, so it never waits for the device. The host
// looks at the rows every `sync_interval` steps (every step on CPU, where looking is free) and when it
// knows from its own counts that a row has reached its length limit.
//
// Results do not depend on the batch: each row's tokens are a function of its prompt, its key and the
// options (sampling uses keyed streams, see model/sampling.h), up to float reassociation in batched
// kernels (which can only matter when two candidates are within rounding of each other).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/sampling.h"

namespace deeper {

class Transformer;

struct GenerationRequest {
  std::vector<int64_t> prompt;  // Non-empty token ids (BOS included if the model wants one).
  uint64_t key = 0;             // Sampling key (see SamplingKey); irrelevant for greedy decoding.
  // Tokens that end this row (e.g. eos/eot ids); unset = GenerationOptions::stop_tokens.
  std::optional<std::vector<int64_t>> stop_tokens;
  int64_t max_new_tokens = -1;  // < 0 = GenerationOptions::max_new_tokens.
};

enum class FinishReason { kStop, kLength };

struct GenerationResult {
  // The generated ids without the prompt; ends with the stop token when finish_reason is kStop.
  std::vector<int64_t> tokens;
  FinishReason finish_reason = FinishReason::kLength;
};

struct GenerationOptions {
  int64_t max_batch = 8;        // Rows decoded together (R).
  int64_t max_new_tokens = 32;  // Default per-request limit.
  std::vector<int64_t> stop_tokens;  // Default stop set; empty = run to the length limit.
  SamplingOptions sampling;
  // Steps between host checks for finished rows; 0 = automatic (1 on CPU, 8 on accelerators).
  int64_t sync_interval = 0;
  // On CUDA, replay decode steps from a CUDA graph (model/decode_step.h; DEEPER_CUDA_GRAPHS=0 turns it
  // off for a process). Same tokens either way.
  bool cuda_graphs = true;
  // Run decode steps in the fixed-shape form that graphs need, also without graphs (tests).
  bool fixed_shape_decode = false;
};

// Counters of one Generate call (for benchmarks and logs).
struct GenerationStats {
  int64_t decode_steps = 0;      // Batched forward passes of one token per row.
  int64_t row_steps = 0;         // Sum over decode steps of the batch size (work done).
  int64_t generated_tokens = 0;  // Tokens returned, over all requests.
  int64_t prefill_tokens = 0;    // Prompt positions prefilled, padding included.
  int64_t refills = 0;           // Prompts moved into a freed row.
  int64_t graph_captures = 0;    // CUDA graphs captured for decode steps (0: eager steps).
  // Where the host's time went (wall seconds). On CUDA the device runs behind the host: a host that
  // spends most of its time in decode_enqueue_s and little in sync_wait_s leaves the GPU waiting for
  // kernel launches (launch-bound); the other way round the GPU is the bottleneck.
  double prefill_s = 0;          // First prefill (enqueue, plus any transfer waits).
  double decode_enqueue_s = 0;   // Issuing decode steps (sampling + forward), no waiting on purpose.
  double sync_wait_s = 0;        // Host reads of the device state, refills and shrinking.
};

// Generates for every request; results are in request order. Runs under inference mode. Throws
// deeper::Error on an empty prompt, a token id outside the vocabulary or invalid options.
std::vector<GenerationResult> Generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                       const GenerationOptions& options, GenerationStats* stats = nullptr);

}  // namespace deeper
