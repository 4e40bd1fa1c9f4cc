#include "model/scoring.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include "common/error.h"
#include "model/kv_cache.h"
#include "model/transformer.h"

namespace deeper {
namespace {

at::Tensor HostLongs(const std::vector<int64_t>& values) {
  return at::tensor(at::ArrayRef<int64_t>(values), at::TensorOptions().dtype(at::kLong));
}

void CheckIds(const std::vector<int64_t>& ids, int64_t vocab, const char* what, size_t index) {
  for (int64_t id : ids) {
    DEEPER_REQUIRE(id >= 0 && id < vocab, "scoring: ", what, " ", index, ": token id ", id,
                   " outside the vocabulary [0, ", vocab, ")");
  }
}

// Indices of `lengths` in ascending length order (stable), so batches pad little.
std::vector<size_t> ByLength(const std::vector<int64_t>& lengths) {
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  return order;
}

// How many of order[begin...] go into the next batch: at most max_batch, and (when capped) at most
// max_batch_tokens / width where width is the longest of them (the last, as order is ascending).
size_t NextBatch(const std::vector<size_t>& order, size_t begin, const std::vector<int64_t>& lengths,
                 const ScoringOptions& options) {
  size_t count = 0;
  while (begin + count < order.size() && static_cast<int64_t>(count) < options.max_batch) {
    const int64_t width = lengths[order[begin + count]];
    const bool over_cap =
        options.max_batch_tokens > 0 && static_cast<int64_t>(count + 1) * width > options.max_batch_tokens;
    if (count > 0 && over_cap) break;
    ++count;
  }
  return count;
}

// Right-padded [n, width] ids and mask of token sequences, on `device`.
std::pair<at::Tensor, at::Tensor> RightPadded(const std::vector<const std::vector<int64_t>*>& rows,
                                              const std::vector<const std::vector<int64_t>*>& tails,
                                              int64_t width, c10::Device device) {
  const int64_t n = rows.size();
  std::vector<int64_t> ids(n * width, 0), mask(n * width, 0);
  for (int64_t r = 0; r < n; ++r) {
    int64_t c = 0;
    for (const std::vector<int64_t>* part : {rows[r], tails.empty() ? nullptr : tails[r]}) {
      if (part == nullptr) continue;
      for (int64_t id : *part) {
        ids[r * width + c] = id;
        mask[r * width + c] = 1;
        ++c;
      }
    }
  }
  return {HostLongs(ids).view({n, width}).to(device), HostLongs(mask).view({n, width}).to(device)};
}

// Log-probs of `targets` at the selected hidden states, projected `chunk` positions at a time.
at::Tensor TargetLogProbs(const Transformer& model, const at::Tensor& hidden, const at::Tensor& targets,
                          int64_t chunk) {
  std::vector<at::Tensor> parts;
  const int64_t n = hidden.size(0);
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t m = std::min(chunk, n - begin);
    const at::Tensor logits = model.Logits(hidden.narrow(0, begin, m));  // fp32 [m, V]
    const at::Tensor picked = logits.gather(1, targets.narrow(0, begin, m).unsqueeze(1)).squeeze(1);
    parts.push_back(picked - at::logsumexp(logits, {1}));
  }
  return at::cat(parts);
}

// One batch of ScoreCompletions.
void ScoreBatch(const Transformer& model, const std::vector<CompletionPair>& pairs, const std::vector<size_t>& batch,
                int64_t width, const ScoringOptions& options, std::vector<CompletionScore>* scores) {
  std::vector<const std::vector<int64_t>*> prompts, completions;
  std::vector<int64_t> flat, targets, owner;
  for (size_t r = 0; r < batch.size(); ++r) {
    const CompletionPair& pair = pairs[batch[r]];
    prompts.push_back(&pair.prompt);
    completions.push_back(&pair.completion);
    // The hidden state at position p predicts the token at p + 1.
    const int64_t start = pair.prompt.size();
    for (size_t j = 0; j < pair.completion.size(); ++j) {
      flat.push_back(static_cast<int64_t>(r) * width + start + j - 1);
      targets.push_back(pair.completion[j]);
      owner.push_back(batch[r]);
    }
  }
  if (flat.empty()) return;
  const c10::Device device = model.device();
  const auto [ids, mask] = RightPadded(prompts, completions, width, device);
  const at::Tensor hidden = model.ForwardHidden(ids, mask);
  const at::Tensor selected = hidden.reshape({-1, hidden.size(-1)}).index_select(0, HostLongs(flat).to(device));
  const at::Tensor logprobs =
      TargetLogProbs(model, selected, HostLongs(targets).to(device), std::max<int64_t>(1, options.logit_chunk))
          .to(at::kDouble)
          .cpu();
  const double* values = logprobs.data_ptr<double>();
  for (size_t t = 0; t < owner.size(); ++t) (*scores)[owner[t]].logprob += values[t];
}

void CheckScale(const RatingScale& scale, int64_t vocab) {
  DEEPER_REQUIRE(!scale.token_ids.empty() && scale.token_ids.size() == scale.values.size(),
                 "rating scale: need as many values as token ids (got ", scale.token_ids.size(), " ids, ",
                 scale.values.size(), " values)");
  CheckIds(scale.token_ids, vocab, "rating token list", 0);
}

void CheckSuffixes(const std::vector<std::vector<int64_t>>& suffixes, int64_t vocab) {
  for (size_t i = 0; i < suffixes.size(); ++i) {
    DEEPER_REQUIRE(!suffixes[i].empty(), "rating prediction: suffix ", i, " is empty");
    CheckIds(suffixes[i], vocab, "suffix", i);
  }
}

// Rating-token logits [n, K] (CPU fp32) at rows' positions `flat` of hidden [n, S, H].
at::Tensor RatingLogits(const Transformer& model, const at::Tensor& hidden, const std::vector<int64_t>& flat,
                        const at::Tensor& rating_ids) {
  const at::Tensor last =
      hidden.reshape({-1, hidden.size(-1)}).index_select(0, HostLongs(flat).to(hidden.device()));
  return model.Logits(last).index_select(1, rating_ids).to(at::kFloat).cpu().contiguous();
}

RatingPrediction PredictionFromRow(const at::Tensor& rating_logits, int64_t row, const RatingScale& scale) {
  const float* data = rating_logits.data_ptr<float>() + row * rating_logits.size(1);
  return RatingFromLogits(std::vector<float>(data, data + rating_logits.size(1)), scale);
}

}  // namespace

std::vector<CompletionScore> ScoreCompletions(const Transformer& model, const std::vector<CompletionPair>& pairs,
                                              const ScoringOptions& options) {
  DEEPER_REQUIRE(options.max_batch > 0, "scoring: max_batch must be positive");
  c10::InferenceMode inference;
  const int64_t vocab = model.config().vocab_size;
  std::vector<int64_t> lengths(pairs.size());
  std::vector<CompletionScore> scores(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    DEEPER_REQUIRE(!pairs[i].prompt.empty(), "scoring: pair ", i, " has an empty prompt");
    CheckIds(pairs[i].prompt, vocab, "prompt of pair", i);
    CheckIds(pairs[i].completion, vocab, "completion of pair", i);
    lengths[i] = pairs[i].prompt.size() + pairs[i].completion.size();
    scores[i].tokens = pairs[i].completion.size();
  }
  const std::vector<size_t> order = ByLength(lengths);
  for (size_t begin = 0; begin < order.size();) {
    const size_t count = NextBatch(order, begin, lengths, options);
    const std::vector<size_t> batch(order.begin() + begin, order.begin() + begin + count);
    ScoreBatch(model, pairs, batch, lengths[batch.back()], options, &scores);
    begin += count;
  }
  return scores;
}

namespace {

// A rating group without copies of its token vectors.
struct GroupView {
  const std::vector<int64_t>* prefix;
  const std::vector<std::vector<int64_t>>* suffixes;
};

// Left-padded [n, width] ids and mask: every sequence ends in the last column.
std::pair<at::Tensor, at::Tensor> LeftPadded(const std::vector<const std::vector<int64_t>*>& rows, int64_t width,
                                             c10::Device device) {
  const int64_t n = rows.size();
  std::vector<int64_t> ids(n * width, 0), mask(n * width, 0);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t pad = width - static_cast<int64_t>(rows[r]->size());
    for (size_t j = 0; j < rows[r]->size(); ++j) {
      ids[r * width + pad + j] = (*rows[r])[j];
      mask[r * width + pad + j] = 1;
    }
  }
  return {HostLongs(ids).view({n, width}).to(device), HostLongs(mask).view({n, width}).to(device)};
}

// Groups [first, last) in one pass: their prefixes are prefilled together, left-padded so each ends at
// column `plen` where the suffixes begin; every suffix row gets its group's prefix by CopyRows. Rows
// keep their prefix from one batch of suffixes to the next when the groups match (always, with one
// group), so the cache is only rolled back.
void PredictChunk(const Transformer& model, const std::vector<GroupView>& groups, size_t first, size_t last,
                  const at::Tensor& rating_ids, const RatingScale& scale, const ScoringOptions& options,
                  std::vector<std::vector<RatingPrediction>>* out) {
  const c10::Device device = model.device();
  const int64_t n_groups = last - first;
  int64_t plen = 0;
  std::vector<const std::vector<int64_t>*> prefixes;
  for (size_t g = first; g < last; ++g) {
    prefixes.push_back(groups[g].prefix);
    plen = std::max<int64_t>(plen, groups[g].prefix->size());
  }
  std::unique_ptr<KvCache> prefix_cache;
  if (plen > 0) {
    prefix_cache = std::make_unique<KvCache>(model.NewCache(n_groups, plen));
    const auto [ids, mask] = LeftPadded(prefixes, plen, device);
    model.ForwardHidden(ids, mask, prefix_cache.get());
  }
  // Every (group, suffix) of the chunk, shortest suffixes first.
  std::vector<std::pair<int64_t, size_t>> items;
  std::vector<int64_t> lengths;
  for (size_t g = first; g < last; ++g) {
    for (size_t i = 0; i < groups[g].suffixes->size(); ++i) {
      items.emplace_back(g - first, i);
      lengths.push_back((*groups[g].suffixes)[i].size());
    }
  }
  if (items.empty()) return;
  const std::vector<size_t> order = ByLength(lengths);
  KvCache cache = model.NewCache(NextBatch(order, 0, lengths, options), plen + lengths[order.back()]);
  std::vector<int64_t> loaded;  // The group whose prefix each row holds; empty = none yet.
  for (size_t begin = 0; begin < order.size();) {
    const int64_t count = NextBatch(order, begin, lengths, options);
    // Batches only shrink: later suffixes are longer, so fewer of them fit the token cap.
    DEEPER_REQUIRE(count <= cache.batch(), "rating prediction: internal batch growth");
    std::vector<int64_t> rows(count), wanted(count);
    std::iota(rows.begin(), rows.end(), 0);
    for (int64_t r = 0; r < count; ++r) wanted[r] = items[order[begin + r]].first;
    if (count < cache.batch()) {
      cache.SelectRows(rows);
      if (!loaded.empty()) loaded.resize(count);
    }
    if (wanted != loaded) {
      cache.Clear();
      if (plen > 0) cache.CopyRows(*prefix_cache, wanted, rows);
      loaded = wanted;
    }
    std::vector<const std::vector<int64_t>*> batch;
    std::vector<int64_t> flat;
    const int64_t width = lengths[order[begin + count - 1]];
    for (int64_t r = 0; r < count; ++r) {
      const auto& [group, index] = items[order[begin + r]];
      batch.push_back(&(*groups[first + group].suffixes)[index]);
      flat.push_back(r * width + lengths[order[begin + r]] - 1);
    }
    const auto [ids, mask] = RightPadded(batch, {}, width, device);
    const at::Tensor logits = RatingLogits(model, model.ForwardHidden(ids, mask, &cache), flat, rating_ids);
    for (int64_t r = 0; r < count; ++r) {
      const auto& [group, index] = items[order[begin + r]];
      (*out)[first + group][index] = PredictionFromRow(logits, r, scale);
    }
    cache.Truncate(plen);  // Back to the bare prefixes.
    begin += count;
  }
}

std::vector<std::vector<RatingPrediction>> PredictGroups(const Transformer& model, const std::vector<GroupView>& groups,
                                                         const RatingScale& scale, const ScoringOptions& options) {
  DEEPER_REQUIRE(options.max_batch > 0 && options.max_prefixes > 0,
                 "rating prediction: max_batch and max_prefixes must be positive");
  const int64_t vocab = model.config().vocab_size;
  CheckScale(scale, vocab);
  std::vector<std::vector<RatingPrediction>> predictions;
  for (size_t g = 0; g < groups.size(); ++g) {
    CheckIds(*groups[g].prefix, vocab, "prefix of group", g);
    CheckSuffixes(*groups[g].suffixes, vocab);
    predictions.emplace_back(groups[g].suffixes->size());
  }
  c10::InferenceMode inference;
  const at::Tensor rating_ids = HostLongs(scale.token_ids).to(model.device());
  for (size_t first = 0; first < groups.size();) {
    // As many prefixes as max_prefixes and the token cap allow (at least one).
    size_t last = first + 1;
    int64_t width = groups[first].prefix->size();
    while (last < groups.size() && static_cast<int64_t>(last - first) < options.max_prefixes) {
      const int64_t next = std::max<int64_t>(width, groups[last].prefix->size());
      const bool over_cap =
          options.max_batch_tokens > 0 && static_cast<int64_t>(last - first + 1) * next > options.max_batch_tokens;
      if (over_cap) break;
      width = next;
      ++last;
    }
    PredictChunk(model, groups, first, last, rating_ids, scale, options, &predictions);
    first = last;
  }
  return predictions;
}

}  // namespace

std::vector<RatingPrediction> PredictRatings(const Transformer& model, const std::vector<int64_t>& prefix,
                                             const std::vector<std::vector<int64_t>>& suffixes,
                                             const RatingScale& scale, const ScoringOptions& options) {
  return PredictGroups(model, {GroupView{&prefix, &suffixes}}, scale, options)[0];
}

std::vector<std::vector<RatingPrediction>> PredictRatingsGrouped(const Transformer& model,
                                                                 const std::vector<RatingGroup>& groups,
                                                                 const RatingScale& scale,
                                                                 const ScoringOptions& options) {
  std::vector<GroupView> views;
  for (const RatingGroup& group : groups) views.push_back({&group.prefix, &group.suffixes});
  return PredictGroups(model, views, scale, options);
}

std::vector<RatingPrediction> PredictRatingsNaive(const Transformer& model, const std::vector<int64_t>& prefix,
                                                  const std::vector<std::vector<int64_t>>& suffixes,
                                                  const RatingScale& scale) {
  const int64_t vocab = model.config().vocab_size;
  CheckScale(scale, vocab);
  CheckIds(prefix, vocab, "prefix", 0);
  CheckSuffixes(suffixes, vocab);
  c10::InferenceMode inference;
  const c10::Device device = model.device();
  const at::Tensor rating_ids = HostLongs(scale.token_ids).to(device);
  std::vector<RatingPrediction> predictions;
  for (const std::vector<int64_t>& suffix : suffixes) {
    std::vector<int64_t> ids(prefix);
    ids.insert(ids.end(), suffix.begin(), suffix.end());
    const int64_t len = ids.size();
    const at::Tensor hidden = model.ForwardHidden(HostLongs(ids).view({1, len}).to(device));
    predictions.push_back(PredictionFromRow(RatingLogits(model, hidden, {len - 1}, rating_ids), 0, scale));
  }
  return predictions;
}

RatingPrediction RatingFromLogits(const std::vector<float>& rating_logits, const RatingScale& scale) {
  DEEPER_REQUIRE(rating_logits.size() == scale.values.size(), "rating prediction: ", rating_logits.size(),
                 " logits for a scale of ", scale.values.size());
  RatingPrediction p;
  const float top = *std::max_element(rating_logits.begin(), rating_logits.end());
  double total = 0.0;
  for (float logit : rating_logits) {
    p.probs.push_back(std::exp(static_cast<double>(logit) - top));
    total += p.probs.back();
  }
  for (size_t i = 0; i < p.probs.size(); ++i) {
    p.probs[i] /= total;
    p.expected += p.probs[i] * scale.values[i];
    if (p.probs[i] > p.probs[p.argmax]) p.argmax = i;
  }
  p.argmax_value = scale.values[p.argmax];
  return p;
}

}  // namespace deeper
