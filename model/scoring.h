// Inference-time scoring with a Transformer: log-probabilities of given completions, and rating
// prediction for many short items that share one long prefix (a persona).
//
// All probabilities are computed in fp32 from the model's fp32 logits (log_softmax / softmax over
// the full vocabulary); sums are accumulated in double. Everything runs under inference mode (no
// autograd: DPO training needs its own differentiable version).
#pragma once

#include <cstdint>
#include <vector>

namespace deeper {

class Transformer;

struct ScoringOptions {
  int64_t max_batch = 16;           // Sequences (or suffixes) per forward pass.
  int64_t max_batch_tokens = 8192;  // Cap on batch x padded length per forward (0 = no cap).
  int64_t logit_chunk = 512;        // Positions projected to the vocabulary at a time (bounds memory).
  int64_t max_prefixes = 8;         // Rating prefixes prefilled together (PredictRatingsGrouped).
};

// ---- Completion log-probabilities -----------------------------------------------------------------
struct CompletionPair {
  std::vector<int64_t> prompt;      // Non-empty.
  std::vector<int64_t> completion;  // May be empty (log-prob 0).
};

struct CompletionScore {
  double logprob = 0.0;  // sum over completion tokens of log p(token | everything before it).
  int64_t tokens = 0;    // Completion length.
};

// Scores each prompt + completion; prompt positions and padding do not count. Sequences are batched
// by length (right-padded) and only completion positions are projected to the vocabulary.
std::vector<CompletionScore> ScoreCompletions(const Transformer& model, const std::vector<CompletionPair>& pairs,
                                              const ScoringOptions& options = {});

// ---- Rating prediction --------------------------------------------------------------------------
// The tokens that spell the ratings (e.g. "1".."5") and the rating each stands for.
struct RatingScale {
  std::vector<int64_t> token_ids;
  std::vector<double> values;
};

struct RatingPrediction {
  std::vector<double> probs;  // Over the scale's tokens, renormalised to sum to 1.
  double expected = 0.0;      // sum probs[i] * values[i].
  int64_t argmax = 0;         // Index into the scale of the most likely rating token.
  double argmax_value = 0.0;  // values[argmax].
};

// For each suffix, the next-token distribution after prefix + suffix restricted to the scale's tokens
// (each suffix ends where the rating token goes). The prefix is run once; its KV cache is copied into
// up to max_batch rows and each batch of suffixes (sorted by length, right-padded) is appended to it,
// then rolled back. Suffixes must be non-empty; the prefix may be empty.
std::vector<RatingPrediction> PredictRatings(const Transformer& model, const std::vector<int64_t>& prefix,
                                             const std::vector<std::vector<int64_t>>& suffixes,
                                             const RatingScale& scale, const ScoringOptions& options = {});

// Many prefixes, each with its own suffixes (e.g. the personas of several users and their items):
// up to max_prefixes prefixes are prefilled together (left-padded) and their suffixes are batched
// across groups, each row starting from its own group's prefix. Results per group, in order; the
// same values as PredictRatings on each group alone.
struct RatingGroup {
  std::vector<int64_t> prefix;
  std::vector<std::vector<int64_t>> suffixes;
};
std::vector<std::vector<RatingPrediction>> PredictRatingsGrouped(const Transformer& model,
                                                                 const std::vector<RatingGroup>& groups,
                                                                 const RatingScale& scale,
                                                                 const ScoringOptions& options = {});

// The reference: one full forward of prefix + suffix per suffix, no cache. Same results as
// PredictRatings up to float reassociation (well within 1e-4).
std::vector<RatingPrediction> PredictRatingsNaive(const Transformer& model, const std::vector<int64_t>& prefix,
                                                  const std::vector<std::vector<int64_t>>& suffixes,
                                                  const RatingScale& scale);

// The prediction for one row of rating-token logits (fp32 softmax over them).
RatingPrediction RatingFromLogits(const std::vector<float>& rating_logits, const RatingScale& scale);

}  // namespace deeper
