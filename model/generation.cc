#include "model/generation.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <utility>

#include "common/error.h"
#include "model/decode_step.h"
#include "model/kv_cache.h"
#include "model/transformer.h"

namespace deeper {
namespace {

// The host's view of one batch row. The host counts decode steps itself, so it knows without asking
// the device when a row must have reached its length limit.
struct Row {
  int64_t request = -1;  // Index into the requests; -1 = empty row.
  int64_t steps = 0;     // Decode steps since the row was filled (>= tokens generated).
  int64_t max_new = 0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

at::Tensor HostLongs(const std::vector<int64_t>& values) {
  return at::tensor(at::ArrayRef<int64_t>(values), at::TensorOptions().dtype(at::kLong));
}

class Decoder {
 public:
  Decoder(const Transformer& model, const std::vector<GenerationRequest>& requests,
          const GenerationOptions& options);
  std::vector<GenerationResult> Run();
  const GenerationStats& stats() const { return stats_; }

 private:
  int64_t MaxNew(const GenerationRequest& request) const {
    return request.max_new_tokens >= 0 ? request.max_new_tokens : options_.max_new_tokens;
  }
  const std::vector<int64_t>& Stops(const GenerationRequest& request) const {
    return request.stop_tokens ? *request.stop_tokens : options_.stop_tokens;
  }
  void Validate() const;
  void Start();
  void Fill(const std::vector<int64_t>& rows);
  void Step();
  bool SyncDue() const;
  void Sync();
  void Shrink();
  bool AllKnownFinished() const;
  int64_t Occupied() const;

  const Transformer& model_;
  const std::vector<GenerationRequest>& requests_;
  const GenerationOptions& options_;
  c10::Device device_;
  int64_t interval_ = 1;
  int64_t max_prompt_ = 0;
  int64_t max_new_ = 0;     // Over all requests: the width of the output buffer (plus a spare column).
  int64_t stop_width_ = 1;  // Widest stop set.
  int64_t step_count_ = 0;
  GenerationStats stats_;
  std::vector<GenerationResult> results_;
  std::deque<int64_t> queue_;
  std::vector<Row> rows_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<DecodeStep> step_;
  // Device state, one entry per row.
  at::Tensor logits_;   // [R, V] fp32 next-token logits.
  at::Tensor active_;   // [R] bool: still generating.
  at::Tensor steps_;    // [R] int64: tokens generated.
  at::Tensor limit_;    // [R] int64: max new tokens.
  at::Tensor streams_;  // [R] int64: sampling stream ids.
  at::Tensor stops_;    // [R, stop_width_] int64, padded with -1.
  at::Tensor out_;      // [R, max_new_ + 1] int64; inactive rows write the spare last column.
};

Decoder::Decoder(const Transformer& model, const std::vector<GenerationRequest>& requests,
                 const GenerationOptions& options)
    : model_(model), requests_(requests), options_(options), device_(model.device()) {
  Validate();
  interval_ = options.sync_interval > 0 ? options.sync_interval : (device_.is_cpu() ? 1 : 8);
  results_.resize(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const GenerationRequest& request = requests[i];
    if (MaxNew(request) == 0) continue;  // Nothing to generate: an empty kLength result.
    queue_.push_back(static_cast<int64_t>(i));
    max_prompt_ = std::max<int64_t>(max_prompt_, request.prompt.size());
    max_new_ = std::max(max_new_, MaxNew(request));
    stop_width_ = std::max<int64_t>(stop_width_, Stops(request).size());
  }
}

void Decoder::Validate() const {
  DEEPER_REQUIRE(options_.max_batch > 0, "generation: max_batch must be positive, got ", options_.max_batch);
  ValidateSamplingOptions(options_.sampling);
  const int64_t vocab = model_.config().vocab_size;
  for (size_t i = 0; i < requests_.size(); ++i) {
    const GenerationRequest& request = requests_[i];
    DEEPER_REQUIRE(!request.prompt.empty(), "generation: request ", i, " has an empty prompt");
    DEEPER_REQUIRE(MaxNew(request) >= 0, "generation: request ", i, ": max_new_tokens must be >= 0, got ",
                   MaxNew(request));
    for (int64_t id : request.prompt) {
      DEEPER_REQUIRE(id >= 0 && id < vocab, "generation: request ", i, ": token id ", id,
                     " outside the vocabulary [0, ", vocab, ")");
    }
  }
}

std::vector<GenerationResult> Decoder::Run() {
  c10::InferenceMode inference;
  if (queue_.empty()) return std::move(results_);
  auto start = std::chrono::steady_clock::now();
  Start();
  stats_.prefill_s += SecondsSince(start);
  while (Occupied() > 0) {
    start = std::chrono::steady_clock::now();
    Step();
    stats_.decode_enqueue_s += SecondsSince(start);
    if (!SyncDue()) continue;
    start = std::chrono::steady_clock::now();
    Sync();
    stats_.sync_wait_s += SecondsSince(start);
  }
  for (const GenerationResult& result : results_) stats_.generated_tokens += result.tokens.size();
  return std::move(results_);
}

void Decoder::Start() {
  const int64_t batch = std::min<int64_t>(options_.max_batch, queue_.size());
  // A row's columns span at most its prompt, its tokens and the steps until the host notices it has
  // finished; Compact() drops everything older, so this capacity always suffices.
  cache_ = std::make_unique<KvCache>(model_.NewCache(batch, max_prompt_ + max_new_ + interval_ + 1));
  step_ = std::make_unique<DecodeStep>(model_, cache_.get(), options_.fixed_shape_decode, options_.cuda_graphs);
  const at::TensorOptions on_device = at::TensorOptions().device(device_);
  logits_ = at::zeros({batch, model_.config().vocab_size}, on_device.dtype(at::kFloat));
  active_ = at::zeros({batch}, on_device.dtype(at::kBool));
  steps_ = at::zeros({batch}, on_device.dtype(at::kLong));
  limit_ = at::zeros({batch}, on_device.dtype(at::kLong));
  streams_ = at::zeros({batch}, on_device.dtype(at::kLong));
  stops_ = at::full({batch, stop_width_}, -1, on_device.dtype(at::kLong));
  out_ = at::zeros({batch, max_new_ + 1}, on_device.dtype(at::kLong));
  rows_.assign(batch, Row{});
  std::vector<int64_t> all(batch);
  for (int64_t i = 0; i < batch; ++i) all[i] = i;
  Fill(all);
}

// Prefills the next queued prompts (left-padded together) into `rows`.
void Decoder::Fill(const std::vector<int64_t>& rows) {
  const int64_t n = rows.size();
  std::vector<int64_t> picked(n);
  int64_t width = 0;
  for (int64_t i = 0; i < n; ++i) {
    picked[i] = queue_.front();
    queue_.pop_front();
    width = std::max<int64_t>(width, requests_[picked[i]].prompt.size());
  }
  std::vector<int64_t> ids(n * width, 0), mask(n * width, 0), limits(n), streams(n), stops(n * stop_width_, -1);
  for (int64_t i = 0; i < n; ++i) {
    const GenerationRequest& request = requests_[picked[i]];
    const int64_t pad = width - static_cast<int64_t>(request.prompt.size());
    for (size_t j = 0; j < request.prompt.size(); ++j) {
      ids[i * width + pad + j] = request.prompt[j];
      mask[i * width + pad + j] = 1;
    }
    limits[i] = MaxNew(request);
    streams[i] = static_cast<int64_t>(SamplingStream(options_.sampling.seed, request.key));
    const std::vector<int64_t>& stop = Stops(request);
    std::copy(stop.begin(), stop.end(), stops.begin() + i * stop_width_);
    rows_[rows[i]] = Row{picked[i], 0, limits[i]};
  }
  const at::Tensor ids_t = HostLongs(ids).view({n, width}).to(device_);
  const at::Tensor mask_t = HostLongs(mask).view({n, width}).to(device_);
  const at::Tensor rows_t = HostLongs(rows).to(device_);
  stats_.prefill_tokens += n * width;

  bool whole_batch = cache_->length() == 0 && n == cache_->batch();
  for (int64_t i = 0; i < n && whole_batch; ++i) whole_batch = rows[i] == i;
  if (whole_batch) {
    // An empty cache filled in row order (the first batch): prefill straight into it.
    logits_ = model_.Logits(model_.ForwardHidden(ids_t, mask_t, cache_.get()).select(1, -1));
  } else {
    // Left padding puts every prompt's last token in the last column.
    KvCache fresh = model_.NewCache(n, width);
    const at::Tensor first = model_.Logits(model_.ForwardHidden(ids_t, mask_t, &fresh).select(1, -1));
    std::vector<int64_t> src(n);
    for (int64_t i = 0; i < n; ++i) src[i] = i;
    cache_->CopyRows(fresh, src, rows);
    logits_.index_copy_(0, rows_t, first);
    stats_.refills += n;
  }
  active_.index_fill_(0, rows_t, true);
  steps_.index_fill_(0, rows_t, 0);
  limit_.index_copy_(0, rows_t, HostLongs(limits).to(device_));
  streams_.index_copy_(0, rows_t, HostLongs(streams).to(device_));
  stops_.index_copy_(0, rows_t, HostLongs(stops).view({n, stop_width_}).to(device_));
}

// One token for every row, entirely on the device.
void Decoder::Step() {
  const SamplingOptions& sampling = options_.sampling;
  const at::Tensor uniforms = sampling.IsGreedy() ? at::Tensor() : StreamUniforms(streams_, steps_);
  const at::Tensor tokens = SampleTokens(logits_, sampling, uniforms);
  const at::Tensor column = steps_.masked_fill(active_.logical_not(), max_new_);
  out_.scatter_(1, column.unsqueeze(1), tokens.unsqueeze(1));
  const at::Tensor stopped = tokens.unsqueeze(1).eq(stops_).any(1);
  steps_.add_(active_.to(at::kLong));
  active_ = active_.logical_and(stopped.logical_not()).logical_and(steps_.lt(limit_));
  for (Row& row : rows_) {
    if (row.request >= 0 && row.steps < row.max_new) ++row.steps;
  }
  ++step_count_;
  ++stats_.decode_steps;
  stats_.row_steps += cache_->batch();
  if (AllKnownFinished()) return;  // The next logits would be thrown away.
  if (cache_->length() >= cache_->capacity()) {
    cache_->Compact();
    DEEPER_REQUIRE(cache_->length() < cache_->capacity(), "generation: KV cache full after compaction");
  }
  // Rows that have finished append a masked pad, so their cache stays as it was.
  logits_ = step_->Run(tokens, active_);
  stats_.graph_captures = step_->captures();
}

bool Decoder::SyncDue() const {
  if (step_count_ % interval_ == 0) return true;
  for (const Row& row : rows_) {
    if (row.request >= 0 && row.steps >= row.max_new) return true;
  }
  return false;
}

bool Decoder::AllKnownFinished() const {
  for (const Row& row : rows_) {
    if (row.request >= 0 && row.steps < row.max_new) return false;
  }
  return true;
}

int64_t Decoder::Occupied() const {
  int64_t count = 0;
  for (const Row& row : rows_) count += row.request >= 0;
  return count;
}

// Collects finished rows, refills them from the queue or, once it is empty, shrinks the batch.
void Decoder::Sync() {
  // One transfer: [active, steps, out...] per row.
  const at::Tensor snapshot = at::cat({active_.to(at::kLong).unsqueeze(1), steps_.unsqueeze(1), out_}, 1).cpu();
  const auto view = snapshot.accessor<int64_t, 2>();
  std::vector<int64_t> freed;
  for (int64_t r = 0; r < static_cast<int64_t>(rows_.size()); ++r) {
    Row& row = rows_[r];
    if (row.request < 0 || view[r][0] != 0) continue;
    GenerationResult& result = results_[row.request];
    const int64_t count = view[r][1];
    result.tokens.resize(count);
    for (int64_t j = 0; j < count; ++j) result.tokens[j] = view[r][2 + j];
    const std::vector<int64_t>& stop = Stops(requests_[row.request]);
    const bool stopped = count > 0 && std::find(stop.begin(), stop.end(), result.tokens.back()) != stop.end();
    result.finish_reason = stopped ? FinishReason::kStop : FinishReason::kLength;
    row = Row{};
    freed.push_back(r);
  }
  if (freed.empty()) return;
  cache_->ResetRows(freed);
  cache_->Compact();
  const size_t refill = std::min(freed.size(), queue_.size());
  if (refill > 0) Fill(std::vector<int64_t>(freed.begin(), freed.begin() + refill));
  if (queue_.empty() && Occupied() < static_cast<int64_t>(rows_.size())) Shrink();
}

// Drops empty rows so the remaining ones decode without dead weight.
void Decoder::Shrink() {
  std::vector<int64_t> keep;
  std::vector<Row> kept_rows;
  for (int64_t r = 0; r < static_cast<int64_t>(rows_.size()); ++r) {
    if (rows_[r].request < 0) continue;
    keep.push_back(r);
    kept_rows.push_back(rows_[r]);
  }
  rows_ = std::move(kept_rows);
  if (keep.empty()) return;
  cache_->SelectRows(keep);
  const at::Tensor index = HostLongs(keep).to(device_);
  for (at::Tensor* state : {&logits_, &active_, &steps_, &limit_, &streams_, &stops_, &out_}) {
    *state = state->index_select(0, index);
  }
}

}  // namespace

std::vector<GenerationResult> Generate(const Transformer& model, const std::vector<GenerationRequest>& requests,
                                       const GenerationOptions& options, GenerationStats* stats) {
  Decoder decoder(model, requests, options);
  std::vector<GenerationResult> results = decoder.Run();
  if (stats != nullptr) *stats = decoder.stats();
  return results;
}

}  // namespace deeper
