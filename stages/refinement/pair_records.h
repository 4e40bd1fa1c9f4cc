// Mined pair shards (pair_mining_1/_2): the pair shard format of train/pairs.h (prompt_ids,
// chosen_ids, rejected_ids: ragged int64; attribute kind = preference_pairs), so train/ reads them
// directly, plus what a user wants to see about each pair: id, dataset_name (strings); iteration,
// window, chosen_candidate, rejected_candidate, chosen_flags, rejected_flags (int64); chosen_reward,
// rejected_reward, reward_gap (float64); chosen, rejected (the persona texts). Attributes: loss_margin
// (text; the DPO margin gamma of these pairs, read by the dpo stage) and strategy.
//
// Reference log-probs are not stored here: with LoRA the reference is the base model (adapters off);
// with full fine-tuning the dpo stage's trainer computes them once and keeps them in
// dpo_iter<k>/training/reference_logps.h5 (a pair shard with ref_chosen_logp / ref_rejected_logp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/shard.h"

namespace deeper {

struct PairRecord {
  std::string id;
  std::string dataset_name;
  int64_t iteration = 0;
  int64_t window = 0;
  std::vector<int64_t> prompt_ids;
  std::vector<int64_t> chosen_ids;
  std::vector<int64_t> rejected_ids;
  int64_t chosen_candidate = 0;
  int64_t rejected_candidate = 0;
  int64_t chosen_flags = 0;
  int64_t rejected_flags = 0;
  double chosen_reward = 0.0;
  double rejected_reward = 0.0;
  std::string chosen;
  std::string rejected;
};

ShardWriter PairRecordsToShard(const std::vector<PairRecord>& records, double loss_margin, const std::string& strategy);
std::vector<PairRecord> PairRecordsFromShard(const ShardReader& shard);

// The loss_margin attribute of a mined pair shard.
double PairShardLossMargin(const ShardReader& shard);

}  // namespace deeper
