// Persona shards: one row per user and persona, as init_persona and refine_1 write them (and as the
// evaluation reads its starting personas). Torch-free.
//
// Columns: id, dataset_name, item_type, split (strings); window (int64: the window the persona was
// last fitted to, 0 for S0); old_persona (string, "" for S0); predicted (ragged float64: the old
// persona's predictions for that window, empty for S0); prompt_ids (ragged int64); persona (string);
// persona_ids (ragged int64: generated ids, ending with the stop token when finished); finished
// (int64 0/1: ended with an end-of-turn token); flags (int64, PersonaFlag bits); flag_names (string).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/shard.h"
#include "stages/persona/persona_generation.h"

namespace deeper {

struct PersonaRecord {
  std::string id;
  std::string dataset_name;
  std::string item_type;
  std::string split;
  int64_t window = 0;
  std::string old_persona;
  std::vector<double> predicted;
  std::vector<int64_t> prompt_ids;
  PersonaCandidate persona;
};

// "dataset_name/id": a user's key across stages (ids are unique within a dataset only).
std::string UserKey(const std::string& dataset_name, const std::string& id);

ShardWriter PersonaRecordsToShard(const std::vector<PersonaRecord>& records);
std::vector<PersonaRecord> PersonaRecordsFromShard(const ShardReader& shard);

// Every record of the given shards by UserKey; a user twice is an error naming both shards' paths.
std::map<std::string, PersonaRecord> ReadPersonaRecords(const std::vector<std::string>& shard_paths);

}  // namespace deeper
