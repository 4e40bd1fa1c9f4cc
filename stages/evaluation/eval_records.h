// Evaluation shards: evaluation/<method>/shard-0000s-of-0000n.h5, one row per evaluated user of
// context_building shard s, so users can read every persona a method wrote and every prediction made
// from it (`deeper inspect`). Torch-free.
//
// Columns: id, dataset_name, item_type, split, method (strings); personas (ragged strings S_0..S_R;
// "" for methods without a persona); short_term (ragged strings: hier_merge's short-term persona of
// round k at index k, "" elsewhere and for other methods); persona_flags (ragged int64, PersonaFlag
// bits of S_k); predicted and truth (ragged float64: round k's predictions of window k+1's items and
// their true ratings, rounds concatenated); round_items (ragged int64: items per round, to split
// them); mae (ragged float64, one per round). Attribute `rounds` (R).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/shard.h"

namespace deeper {

struct EvalRecord {
  std::string id;
  std::string dataset_name;
  std::string item_type;
  std::string split;
  std::string method;
  std::vector<std::string> personas;
  std::vector<std::string> short_term;
  std::vector<int64_t> persona_flags;
  std::vector<double> predicted;
  std::vector<double> truth;
  std::vector<int64_t> round_items;
  std::vector<double> mae;

  // Appends round k's predictions and truth and their MAE (rounds must be added in order).
  void AddRound(const std::vector<double>& round_predicted, const std::vector<double>& round_truth);
};

ShardWriter EvalRecordsToShard(const std::vector<EvalRecord>& records, int rounds);
std::vector<EvalRecord> EvalRecordsFromShard(const ShardReader& shard);

}  // namespace deeper
