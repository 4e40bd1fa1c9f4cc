#include "stages/refinement/candidate_records.h"

#include <cstdint>
#include <cstring>


namespace deeper {
namespace {

// Keys are uint64; shards store int64. A bit-cast keeps them exact.
int64_t KeyToInt(uint64_t key) {
  int64_t out;
  std::memcpy(&out, &key, sizeof(out));
  return out;
}
uint64_t IntToKey(int64_t value) {
  uint64_t out;
  std::memcpy(&out, &value, sizeof(out));
  return out;
}

}  // namespace

// The persona columns come from PersonaRecordsToShard; only the sampling columns are added here.
ShardWriter CandidateRecordsToShard(const std::vector<CandidateRecord>& records) {
  ShardWriter writer = PersonaRecordsToShard(std::vector<PersonaRecord>(records.begin(), records.end()));
  Int64Column iteration, candidate, sampling_key;
  for (const auto& r : records) {
    iteration.push_back(r.iteration);
    candidate.push_back(r.candidate);
    sampling_key.push_back(KeyToInt(r.sampling_key));
  }
  writer.Add("iteration", std::move(iteration));
  writer.Add("candidate", std::move(candidate));
  writer.Add("sampling_key", std::move(sampling_key));
  return writer;
}

std::vector<CandidateRecord> CandidateRecordsFromShard(const ShardReader& shard) {
  std::vector<PersonaRecord> personas = PersonaRecordsFromShard(shard);
  const auto iteration = shard.Int64("iteration");
  const auto candidate = shard.Int64("candidate");
  const auto sampling_key = shard.Int64("sampling_key");
  std::vector<CandidateRecord> records(personas.size());
  for (size_t i = 0; i < records.size(); ++i) {
    CandidateRecord& r = records[i];
    static_cast<PersonaRecord&>(r) = std::move(personas[i]);
    r.iteration = iteration[i];
    r.candidate = candidate[i];
    r.sampling_key = IntToKey(sampling_key[i]);
  }
  return records;
}

}  // namespace deeper
