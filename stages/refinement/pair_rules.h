// Pair mining rules (config pair_mining.iter1 / pair_mining.iter2): which candidates of one context
// become (chosen, rejected) pairs. Torch-free and pure, so the rules are tested on hand-made tables.
//
// Candidates are ranked by reward (highest first, ties by lower candidate index). Chosen candidates
// are taken best first among those allowed to be chosen (unflagged, unless allow_flagged_chosen);
// each chosen one is paired with a not yet used candidate ranked below it whose reward gap lies in
// [min_gap, max_gap] (max_gap 0 = unbounded):
//   extremes: the lowest such candidate (iteration 1: best against worst, 2nd best against 2nd worst, ...)
//   closest:  the highest such candidate (iteration 2: harder pairs, closer in reward)
// Every candidate is in at most one pair; at most pairs_per_context pairs per context. A chosen
// candidate without an admissible partner is skipped and the next best is tried.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config.h"

namespace deeper {

struct MiningRules {
  std::string strategy = "extremes";  // "extremes" or "closest"
  int64_t pairs_per_context = 1;
  double min_gap = 0.0;
  double max_gap = 0.0;  // 0 = no upper bound
  bool allow_flagged_chosen = false;
  double loss_margin = 0.0;  // DPO margin gamma stored with the pairs (attribute loss_margin).
};

// Reads pair_mining.iter<iteration>; errors name the key.
MiningRules MiningRulesFromConfig(const Config& config, int iteration);

struct ScoredCandidate {
  int64_t index = 0;  // candidate index within the context
  double reward = 0.0;
  int64_t flags = 0;
};

struct MinedPair {
  int64_t chosen = 0;    // candidate indices
  int64_t rejected = 0;
  double gap = 0.0;      // reward(chosen) - reward(rejected)
};

// The pairs of one context, best chosen first.
std::vector<MinedPair> MinePairs(const std::vector<ScoredCandidate>& candidates, const MiningRules& rules);

// What a shard's mined pairs look like, for the stage's log line. A reward that mostly prefers
// shorter (or longer) personas, rather than truer ones, shows as a lopsided length share: the way a
// predictor that ignores the persona lets a refiner win.
struct PairSummary {
  int64_t contexts = 0;
  int64_t contexts_without_pair = 0;
  int64_t pairs = 0;
  double gap_sum = 0.0;
  int64_t chosen_shorter = 0;  // chosen completion has fewer tokens than the rejected one
  int64_t chosen_longer = 0;
  double chosen_tokens = 0.0;  // sums over pairs
  double rejected_tokens = 0.0;

  // One context's mined pairs; `tokens[i]` is candidate i's completion length in tokens.
  void AddContext(const std::vector<MinedPair>& mined, const std::vector<int64_t>& tokens);
  // "300 pairs from 300 contexts (0 without an admissible pair), mean reward gap 0.412; chosen shorter
  // than rejected in 12% of pairs, longer in 15% (mean 21.0 vs 21.0 tokens)"
  std::string Line() const;
};

}  // namespace deeper
