#include "model/sampling.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "common/error.h"

namespace deeper {
namespace {

constexpr int64_t kLow32 = 0xFFFFFFFFll;

// splitmix64's finaliser: a bijective 64-bit mix (host only; it runs once per row, not per token).
uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A 32-bit xorshift-multiply hash. Both multipliers are below 2^31, so on int64 tensors the product of
// a 32-bit value and a multiplier stays below 2^63: the device version needs no unsigned or
// overflowing arithmetic and is bit-identical to this one on every backend.
constexpr uint32_t kMul1 = 0x7FEB352Du;
constexpr uint32_t kMul2 = 0x21F0AAADu;

uint32_t Hash32(uint32_t x) {
  x ^= x >> 16;
  x *= kMul1;
  x ^= x >> 15;
  x *= kMul2;
  x ^= x >> 16;
  return x;
}

at::Tensor Hash32(at::Tensor x) {  // int64 values in [0, 2^32)
  x = x.bitwise_xor(x.__rshift__(16));
  x = x.mul(static_cast<int64_t>(kMul1)).bitwise_and(kLow32);
  x = x.bitwise_xor(x.__rshift__(15));
  x = x.mul(static_cast<int64_t>(kMul2)).bitwise_and(kLow32);
  return x.bitwise_xor(x.__rshift__(16));
}

// 24 random bits scaled to [0, 1): exact in fp32.
constexpr double kTwoToMinus24 = 1.0 / 16777216.0;

// The filtered candidates of each row. `ids` undefined means `logits` is in vocabulary order and
// unfiltered; otherwise both are [B, n] in descending order with removed tokens at -inf.
struct Candidates {
  at::Tensor logits;
  at::Tensor ids;
};

Candidates Filter(const at::Tensor& logits, const SamplingOptions& options) {
  at::Tensor scores = logits.to(at::kFloat);
  if (options.temperature != 1.0) scores = scores / options.temperature;
  const int64_t vocab = scores.size(-1);
  const bool use_k = options.top_k > 0 && options.top_k < vocab;
  const bool use_p = options.top_p < 1.0;
  if (!use_k && !use_p) return {scores, {}};
  Candidates c;
  // topk is much cheaper than a full sort when k is small; both return descending order.
  if (use_k) {
    std::tie(c.logits, c.ids) = at::topk(scores, options.top_k, -1, /*largest=*/true, /*sorted=*/true);
  } else {
    std::tie(c.logits, c.ids) = at::sort(scores, /*stable=*/true, -1, /*descending=*/true);
  }
  if (use_p) {
    // A token survives when the tokens ranked above it hold less than top_p: the smallest prefix
    // reaching top_p, and the first token always (its exclusive mass is 0).
    at::Tensor probs = at::softmax(c.logits, -1);
    at::Tensor mass_before = probs.cumsum(-1) - probs;
    c.logits = c.logits.masked_fill(mass_before >= options.top_p, -std::numeric_limits<double>::infinity());
  }
  return c;
}

// ---- CPU host loops ----------------------------------------------------------------------------
// ATen 1.x's CPU sort, topk and argmax are slow on vocabulary-sized rows (a stable sort of 32k logits
// takes ~10 ms), and every small tensor op costs microseconds. On the CPU each row is filtered and
// sampled with plain loops instead: same semantics as Filter + inverse CDF, masses in double.

struct Candidate {
  float score;  // A logit or a probability: only the order matters for selection.
  int64_t id;
};

// Higher score first, then lower id: a total order, so the kept set never depends on how a
// selection algorithm happens to arrange ties.
// A function object (not a function pointer) so the standard algorithms inline it.
struct BeforeFn {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  }
};
constexpr BeforeFn Before{};

// First index of the row maximum (ATen's argmax convention); `top` is the row's max.
int64_t FirstIndexOf(const float* row, int64_t vocab, float top) {
  for (int64_t v = 0; v < vocab; ++v) {
    if (row[v] == top) return v;
  }
  return 0;  // A row of NaNs: any valid id.
}

// The first candidate whose cumulative mass exceeds u * total, walking `weights` in order.
int64_t InverseCdf(const std::vector<Candidate>& candidates, const std::vector<double>& weights, int64_t count,
                   float u) {
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total += weights[i];
  const double target = u * total;
  double cumulative = 0.0;
  int64_t last = candidates[0].id;
  for (int64_t i = 0; i < count; ++i) {
    if (weights[i] <= 0.0) continue;
    cumulative += weights[i];
    last = candidates[i].id;
    if (cumulative > target) break;
  }
  return last;
}

// The k best-scored tokens, sorted. One pass keeping a heap of k; after the first few hundred tokens
// almost every token fails the threshold compare, so this is about one compare per token.
void TopK(const float* scores, int64_t vocab, int64_t k, std::vector<Candidate>& out) {
  out.clear();
  float threshold = -std::numeric_limits<float>::infinity();
  for (int64_t v = 0; v < vocab; ++v) {
    if (scores[v] < threshold) continue;
    const Candidate c{scores[v], v};
    if (static_cast<int64_t>(out.size()) < k) {
      out.push_back(c);
      std::push_heap(out.begin(), out.end(), Before);  // front = the worst kept
      if (static_cast<int64_t>(out.size()) == k) threshold = out.front().score;
    } else if (Before(c, out.front())) {
      std::pop_heap(out.begin(), out.end(), Before);
      out.back() = c;
      std::push_heap(out.begin(), out.end(), Before);
      threshold = out.front().score;
    }
  }
  std::sort_heap(out.begin(), out.end(), Before);
}

// How many leading candidates top-p keeps: those whose predecessors hold less than top_p of `total`.
// `ensure_sorted(i)` runs before weights[i] is read.
template <typename EnsureSorted>
int64_t TopPCount(const std::vector<double>& weights, int64_t count, double total, double top_p,
                  EnsureSorted ensure_sorted) {
  double before = 0.0;
  int64_t i = 0;
  for (; i < count && before < top_p * total; ++i) {
    ensure_sorted(i);
    before += weights[i];
  }
  return i;
}

// ---- Quickselect on probability mass ----------------------------------------------------------------
// Candidates ranked by Before (a total order). Selecting by mass instead of sorting gives the same
// tokens as walking the sorted list, up to the rounding of the double mass sums (summed in another
// order): only a draw within ~1e-16 of a boundary can differ.

// Partitions c[lo, hi) around a median-of-three pivot: ranked before it first, then the pivot, then
// the rest. Returns the pivot's index; *mass_before gets the summed score of c[lo, pivot).
int64_t PartitionByRank(std::vector<Candidate>& c, int64_t lo, int64_t hi, double* mass_before) {
  const int64_t mid = lo + (hi - lo) / 2, last = hi - 1;
  if (Before(c[mid], c[lo])) std::swap(c[mid], c[lo]);
  if (Before(c[last], c[lo])) std::swap(c[last], c[lo]);
  if (Before(c[mid], c[last])) std::swap(c[mid], c[last]);  // c[last] is now the median of the three.
  const Candidate pivot = c[last];
  int64_t store = lo;
  double mass = 0.0;
  for (int64_t i = lo; i < last; ++i) {
    if (Before(c[i], pivot)) {
      mass += c[i].score;
      std::swap(c[i], c[store++]);
    }
  }
  std::swap(c[store], c[last]);
  *mass_before = mass;
  return store;
}

// Moves the candidates top-p keeps to c[0, kept) (in no particular order) and returns kept: those
// whose higher-ranked candidates hold less than `threshold` (= top_p * total mass; the first always).
int64_t SelectTopP(std::vector<Candidate>& c, double threshold) {
  int64_t lo = 0, hi = static_cast<int64_t>(c.size());
  double before = 0.0;  // Mass of c[0, lo), all ranked above c[lo, hi).
  while (lo < hi) {
    double mass = 0.0;
    const int64_t p = PartitionByRank(c, lo, hi, &mass);
    if (before + mass < threshold) {  // The pivot is kept, and with it everything ranked above it.
      before += mass + c[p].score;
      lo = p + 1;
    } else {
      hi = p;
    }
  }
  return lo;
}

// Inverse CDF over c[0, count) in rank order: the first candidate whose cumulative mass exceeds
// u * (mass of c[0, count)); reorders c[0, count).
int64_t SelectInverseCdf(std::vector<Candidate>& c, int64_t count, float u) {
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total += c[i].score;
  const double target = u * total;
  int64_t lo = 0, hi = count;
  double before = 0.0;
  while (lo < hi) {
    double mass = 0.0;
    const int64_t p = PartitionByRank(c, lo, hi, &mass);
    if (before + mass > target) {
      hi = p;
    } else if (before + mass + c[p].score > target) {
      return c[p].id;
    } else {
      before += mass + c[p].score;
      lo = p + 1;
    }
  }
  // Rounding left the target unreached: the lowest-ranked candidate with mass (as the sorted walk).
  int64_t last = -1;
  for (int64_t i = 0; i < count; ++i) {
    if (c[i].score > 0.0f && (last < 0 || Before(c[last], c[i]))) last = i;
  }
  return c[last < 0 ? 0 : last].id;
}

struct RowScratch {
  std::vector<Candidate> candidates;
  std::vector<double> weights;
};

// Top-k (then top-p) on raw logits: only the k survivors are exponentiated.
int64_t SampleTopK(const float* logits, int64_t vocab, const SamplingOptions& options, float u, RowScratch& s) {
  const int64_t k = options.top_k;
  TopK(logits, vocab, k, s.candidates);
  s.weights.resize(k);
  const double top = s.candidates[0].score;
  double total = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    s.weights[i] = std::exp((s.candidates[i].score - top) / options.temperature);
    total += s.weights[i];
  }
  const int64_t kept = options.top_p < 1.0 ? TopPCount(s.weights, k, total, options.top_p, [](int64_t) {}) : k;
  return InverseCdf(s.candidates, s.weights, kept, u);
}

// Top-p alone, or no filter, on probabilities (softmax already applied).
int64_t SampleProbs(const float* probs, int64_t vocab, const SamplingOptions& options, float u, RowScratch& s) {
  s.candidates.resize(vocab);
  s.weights.resize(vocab);
  double total = 0.0;
  for (int64_t v = 0; v < vocab; ++v) {
    s.candidates[v] = {probs[v], v};
    total += probs[v];
  }
  if (options.top_p >= 1.0) {  // Vocabulary order.
    for (int64_t v = 0; v < vocab; ++v) s.weights[v] = probs[v];
    return InverseCdf(s.candidates, s.weights, vocab, u);
  }
  // Top-p without sorting: quickselect on probability mass (expected O(vocab)). With the near-flat
  // distributions of sampling at temperature ~1, top-p keeps most of the vocabulary and a sort of it
  // would dominate the step.
  const int64_t kept = SelectTopP(s.candidates, options.top_p * total);
  return SelectInverseCdf(s.candidates, kept, u);
}

at::Tensor SampleTokensHost(const at::Tensor& logits, const SamplingOptions& options, const at::Tensor& uniforms) {
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  at::Tensor tokens = at::empty({rows}, logits.options().dtype(at::kLong));
  int64_t* out = tokens.data_ptr<int64_t>();
  at::Tensor x = logits.to(at::kFloat).contiguous();
  if (options.IsGreedy()) {
    const at::Tensor top = x.amax(-1).contiguous();  // Vectorised; finding its first index is cheap.
    const float* data = x.data_ptr<float>();
    const float* tops = top.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) out[r] = FirstIndexOf(data + r * vocab, vocab, tops[r]);
    return tokens;
  }
  const bool use_k = options.top_k > 0 && options.top_k < vocab;
  if (!use_k) x = at::softmax(options.temperature != 1.0 ? x / options.temperature : x, -1).contiguous();
  const float* data = x.data_ptr<float>();
  const at::Tensor u = uniforms.to(at::kFloat).contiguous();
  const float* us = u.data_ptr<float>();
  // Rows of a small vocabulary stay on one thread: an OpenMP region per step costs more than they do.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, vocab));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    RowScratch scratch;
    for (int64_t r = begin; r < end; ++r) {
      out[r] = use_k ? SampleTopK(data + r * vocab, vocab, options, us[r], scratch)
                     : SampleProbs(data + r * vocab, vocab, options, us[r], scratch);
    }
  });
  return tokens;
}

at::Tensor StreamUniformsHost(const at::Tensor& streams, const at::Tensor& steps) {
  const at::Tensor s = streams.to(at::kLong).contiguous(), t = steps.to(at::kLong).contiguous();
  at::Tensor u = at::empty(s.sizes(), s.options().dtype(at::kFloat));
  const int64_t* sp = s.data_ptr<int64_t>();
  const int64_t* tp = t.data_ptr<int64_t>();
  float* up = u.data_ptr<float>();
  for (int64_t i = 0; i < s.numel(); ++i) up[i] = StreamUniform(static_cast<uint64_t>(sp[i]), tp[i]);
  return u;
}

}  // namespace

void ValidateSamplingOptions(const SamplingOptions& options) {
  if (options.greedy) return;
  DEEPER_REQUIRE(!std::isnan(options.temperature), "sampling: temperature is NaN");
  DEEPER_REQUIRE(options.top_k >= 0, "sampling: top_k must be >= 0, got ", options.top_k);
  DEEPER_REQUIRE(options.top_p > 0.0 && options.top_p <= 1.0, "sampling: top_p must be in (0, 1], got ",
                 options.top_p);
}

uint64_t SamplingKey(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6A09E667F3BCC909ull;
  for (uint64_t part : parts) h = Mix64(h ^ part);
  return h;
}

uint64_t SamplingStream(uint64_t seed, uint64_t key) { return Mix64(Mix64(seed) ^ key); }

float StreamUniform(uint64_t stream, int64_t step) {
  const uint32_t low = static_cast<uint32_t>(stream);
  const uint32_t high = static_cast<uint32_t>(stream >> 32);
  const uint32_t h = Hash32(low ^ Hash32(high ^ Hash32(static_cast<uint32_t>(step))));
  return static_cast<float>((h >> 8) * kTwoToMinus24);
}

at::Tensor StreamUniforms(const at::Tensor& streams, const at::Tensor& steps) {
  DEEPER_REQUIRE(streams.sizes() == steps.sizes(), "sampling: streams ", streams.sizes(), " and steps ", steps.sizes(),
                 " differ in shape");
  return streams.is_cpu() ? StreamUniformsHost(streams, steps) : detail::StreamUniformsTensorOps(streams, steps);
}

at::Tensor detail::StreamUniformsTensorOps(const at::Tensor& streams, const at::Tensor& steps) {
  const at::Tensor low = streams.bitwise_and(kLow32);
  const at::Tensor high = streams.__rshift__(32).bitwise_and(kLow32);  // arithmetic shift, then mask
  const at::Tensor h = Hash32(low.bitwise_xor(Hash32(high.bitwise_xor(Hash32(steps.bitwise_and(kLow32))))));
  return h.__rshift__(8).to(at::kFloat).mul(kTwoToMinus24);
}

at::Tensor FilteredLogits(const at::Tensor& logits, const SamplingOptions& options) {
  ValidateSamplingOptions(options);
  const double inf = std::numeric_limits<double>::infinity();
  if (options.IsGreedy()) {
    at::Tensor scores = logits.to(at::kFloat);
    at::Tensor best = scores.argmax(-1, /*keepdim=*/true);
    return at::full_like(scores, -inf).scatter_(-1, best, scores.gather(-1, best));
  }
  Candidates c = Filter(logits, options);
  if (!c.ids.defined()) return c.logits;
  return at::full(logits.sizes(), -inf, logits.options().dtype(at::kFloat)).scatter_(-1, c.ids, c.logits);
}

at::Tensor SampleTokens(const at::Tensor& logits, const SamplingOptions& options, const at::Tensor& uniforms) {
  DEEPER_REQUIRE(logits.dim() == 2 && logits.size(1) > 0, "sampling: logits must be [batch, vocab], got ",
                 logits.sizes());
  if (!options.IsGreedy()) {
    ValidateSamplingOptions(options);
    DEEPER_REQUIRE(uniforms.defined() && uniforms.dim() == 1 && uniforms.size(0) == logits.size(0),
                   "sampling: uniforms must be [", logits.size(0), "]");
  }
  return logits.is_cpu() ? SampleTokensHost(logits, options, uniforms)
                         : detail::SampleTokensTensorOps(logits, options, uniforms);
}

at::Tensor detail::SampleTokensTensorOps(const at::Tensor& logits, const SamplingOptions& options,
                                         const at::Tensor& uniforms) {
  if (options.IsGreedy()) return logits.argmax(-1);
  Candidates c = Filter(logits, options);
  const int64_t n = c.logits.size(-1);
  at::Tensor cdf = at::softmax(c.logits, -1).cumsum(-1);
  // Inverse CDF: the first candidate whose cumulative mass exceeds u * total. Removed tokens add no
  // mass, so they are never picked; u < 1 keeps the target below the total.
  at::Tensor target = uniforms.to(at::kFloat).unsqueeze(1).mul(cdf.narrow(-1, n - 1, 1));
  at::Tensor pos = at::searchsorted(cdf, target, /*out_int32=*/false, /*right=*/true).clamp(0, n - 1);
  return c.ids.defined() ? c.ids.gather(1, pos).squeeze(1) : pos.squeeze(1);
}

}  // namespace deeper
