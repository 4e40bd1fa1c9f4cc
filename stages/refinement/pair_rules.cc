#include "stages/refinement/pair_rules.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "common/error.h"

namespace deeper {

MiningRules MiningRulesFromConfig(const Config& config, int iteration) {
  const std::string key = "pair_mining.iter" + std::to_string(iteration);
  MiningRules rules;
  rules.strategy = config.Get<std::string>(key + ".strategy");
  rules.pairs_per_context = config.Get<int64_t>(key + ".pairs_per_context");
  rules.min_gap = config.Get<double>(key + ".min_gap");
  rules.max_gap = config.Get<double>(key + ".max_gap");
  rules.allow_flagged_chosen = config.Get<bool>(key + ".allow_flagged_chosen");
  rules.loss_margin = config.Get<double>(key + ".loss_margin");
  DEEPER_REQUIRE(rules.strategy == "extremes" || rules.strategy == "closest", config.source(), ": ", key,
                 ".strategy must be extremes or closest, not '", rules.strategy, "'");
  DEEPER_REQUIRE(rules.pairs_per_context >= 1, config.source(), ": ", key, ".pairs_per_context must be at least 1");
  DEEPER_REQUIRE(rules.min_gap >= 0 && rules.max_gap >= 0 && (rules.max_gap == 0 || rules.max_gap >= rules.min_gap),
                 config.source(), ": ", key, ": need 0 <= min_gap <= max_gap (max_gap 0 = unbounded)");
  DEEPER_REQUIRE(rules.loss_margin >= 0, config.source(), ": ", key, ".loss_margin must be >= 0");
  return rules;
}

std::vector<MinedPair> MinePairs(const std::vector<ScoredCandidate>& candidates, const MiningRules& rules) {
  std::vector<ScoredCandidate> ranked = candidates;
  std::stable_sort(ranked.begin(), ranked.end(), [](const ScoredCandidate& a, const ScoredCandidate& b) {
    return a.reward != b.reward ? a.reward > b.reward : a.index < b.index;
  });
  const bool closest = rules.strategy == "closest";
  std::vector<bool> used(ranked.size(), false);
  std::vector<MinedPair> pairs;
  for (size_t c = 0; c < ranked.size() && static_cast<int64_t>(pairs.size()) < rules.pairs_per_context; ++c) {
    if (used[c] || (ranked[c].flags != 0 && !rules.allow_flagged_chosen)) continue;
    // Partners ranked below c, scanned from the closest (closest) or the farthest (extremes).
    std::ptrdiff_t pick = -1;
    for (size_t k = 0; k + c + 1 < ranked.size(); ++k) {
      const size_t r = closest ? c + 1 + k : ranked.size() - 1 - k;
      if (used[r]) continue;
      const double gap = ranked[c].reward - ranked[r].reward;
      if (gap < rules.min_gap || (rules.max_gap > 0 && gap > rules.max_gap)) continue;
      pick = static_cast<std::ptrdiff_t>(r);
      break;
    }
    if (pick < 0) continue;
    used[c] = used[static_cast<size_t>(pick)] = true;
    pairs.push_back({ranked[c].index, ranked[static_cast<size_t>(pick)].index,
                     ranked[c].reward - ranked[static_cast<size_t>(pick)].reward});
  }
  return pairs;
}

void PairSummary::AddContext(const std::vector<MinedPair>& mined, const std::vector<int64_t>& tokens) {
  ++contexts;
  if (mined.empty()) ++contexts_without_pair;
  for (const MinedPair& pair : mined) {
    const int64_t chosen = tokens.at(static_cast<size_t>(pair.chosen));
    const int64_t rejected = tokens.at(static_cast<size_t>(pair.rejected));
    ++pairs;
    gap_sum += pair.gap;
    chosen_shorter += chosen < rejected ? 1 : 0;
    chosen_longer += chosen > rejected ? 1 : 0;
    chosen_tokens += static_cast<double>(chosen);
    rejected_tokens += static_cast<double>(rejected);
  }
}

std::string PairSummary::Line() const {
  const double n = pairs > 0 ? static_cast<double>(pairs) : 1.0;
  char line[320];
  std::snprintf(line, sizeof(line),
                "%lld pairs from %lld contexts (%lld without an admissible pair), mean reward gap %.3f; chosen "
                "shorter than rejected in %.0f%% of pairs, longer in %.0f%% (mean %.1f vs %.1f tokens)",
                static_cast<long long>(pairs), static_cast<long long>(contexts),
                static_cast<long long>(contexts_without_pair), gap_sum / n, 100.0 * chosen_shorter / n,
                100.0 * chosen_longer / n, chosen_tokens / n, rejected_tokens / n);
  return line;
}

}  // namespace deeper
