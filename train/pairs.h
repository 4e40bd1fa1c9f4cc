// Preference pairs: a prompt and two completions (chosen is preferred), as token ids, optionally with the
// reference model's sequence log-probs precomputed (full fine-tuning keeps no second model in memory).
// Torch-free.
//
// Pair shards are pipeline shards (pipeline/shard.h) with the columns
//   prompt_ids, chosen_ids, rejected_ids: ragged int64
//   ref_chosen_logp, ref_rejected_logp:    float64, only when every pair has them
// and, with reference log-probs, the attributes that say how they were computed (see RefLogpsInfo):
// log-probs depend on the truncation, so a reader can tell whether they still apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deeper {

struct PreferencePair {
  std::vector<int64_t> prompt_ids;
  std::vector<int64_t> chosen_ids;
  std::vector<int64_t> rejected_ids;
  // Reference sequence log-probs (sum over completion tokens) of the truncated pair.
  std::optional<double> ref_chosen_logp;
  std::optional<double> ref_rejected_logp;

  bool has_ref() const { return ref_chosen_logp.has_value() && ref_rejected_logp.has_value(); }
};

// How stored reference log-probs were computed; written as shard attributes.
struct RefLogpsInfo {
  std::string reference;     // Model directory (or "policy-init") that produced them.
  int64_t cutoff_len = 0;    // Truncation applied before scoring (see train/batching.h).
  int64_t max_prompt_len = 0;
};

struct PairSet {
  std::vector<PreferencePair> pairs;
  std::optional<RefLogpsInfo> ref_info;  // Set when the pairs carry reference log-probs.
};

// Writes pairs atomically. Reference columns are written when every pair has them (ref_info then
// describes them); a partial set is an error naming the first pair without.
void WritePairShard(const std::string& path, const PairSet& set);
// Reads a pair shard. Errors name the file and the offending row (empty completion, negative id).
PairSet ReadPairShard(const std::string& path);

// Checks one pair: non-empty prompt and completions, ids in [0, vocab_size) when vocab_size > 0.
// `where` names the pair in the message.
void ValidatePair(const PreferencePair& pair, int64_t vocab_size, const std::string& where);

}  // namespace deeper
