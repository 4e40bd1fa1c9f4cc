// Candidate shards (direction_sampling_1/_2): one row per (training context, candidate), rows of a
// context consecutive and in candidate order, contexts in the user order of their shard. One row per
// candidate keeps every column flat (HDF5 ragged columns hold one level of lists) and lets
// reward_assignment and pair_mining join by row.
//
// Columns: id, dataset_name, item_type, split (strings); iteration, window (int64: k, the window the
// context refines on); candidate (int64 index j in 0..N-1); sampling_key (int64: the uint64 key
// PersonaKey(iteration, dataset, id, j), bit-cast); old_persona (string S_{k-1}); predicted (ragged
// float64 P_k = Predict(S_{k-1}, W_k items)); prompt_ids (ragged int64: the refinement prompt);
// persona (string: the candidate S_k^j); persona_ids (ragged int64, ending with the stop token when
// finished); finished (int64 0/1); flags (int64 PersonaFlag bits); flag_names (string).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/shard.h"
#include "stages/persona/persona_records.h"

namespace deeper {

// A persona record (the candidate S_k^j in `persona`) plus where it comes from in the sampling.
struct CandidateRecord : PersonaRecord {
  int64_t iteration = 0;
  int64_t candidate = 0;
  uint64_t sampling_key = 0;
};

ShardWriter CandidateRecordsToShard(const std::vector<CandidateRecord>& records);
std::vector<CandidateRecord> CandidateRecordsFromShard(const ShardReader& shard);

// Row ranges [begin, end) of consecutive rows of one context (same dataset_name and id).
struct RowRange {
  size_t begin = 0;
  size_t end = 0;
};
template <typename Record>
std::vector<RowRange> ContextRanges(const std::vector<Record>& records) {
  std::vector<RowRange> ranges;
  for (size_t i = 0; i < records.size(); ++i) {
    if (ranges.empty() || records[i].id != records[ranges.back().begin].id ||
        records[i].dataset_name != records[ranges.back().begin].dataset_name) {
      ranges.push_back({i, i});
    }
    ranges.back().end = i + 1;
  }
  return ranges;
}

}  // namespace deeper
