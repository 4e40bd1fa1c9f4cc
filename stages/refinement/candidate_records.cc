#include "stages/refinement/candidate_records.h"

#include <cstring>

#include "stages/persona/persona_text.h"

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

ShardWriter CandidateRecordsToShard(const std::vector<CandidateRecord>& records) {
  StringColumn id, dataset_name, item_type, split, old_persona, persona, flag_names;
  Int64Column iteration, window, candidate, sampling_key, finished, flags;
  RaggedFloat64Column predicted;
  RaggedInt64Column prompt_ids, persona_ids;
  for (const auto& r : records) {
    id.push_back(r.id);
    dataset_name.push_back(r.dataset_name);
    item_type.push_back(r.item_type);
    split.push_back(r.split);
    iteration.push_back(r.iteration);
    window.push_back(r.window);
    candidate.push_back(r.candidate);
    sampling_key.push_back(KeyToInt(r.sampling_key));
    old_persona.push_back(r.old_persona);
    predicted.push_back(r.predicted);
    prompt_ids.push_back(r.prompt_ids);
    persona.push_back(r.persona.text);
    persona_ids.push_back(r.persona.token_ids);
    finished.push_back(r.persona.stopped ? 1 : 0);
    flags.push_back(r.persona.flags);
    flag_names.push_back(PersonaFlagNames(r.persona.flags));
  }
  ShardWriter writer;
  writer.Add("id", std::move(id));
  writer.Add("dataset_name", std::move(dataset_name));
  writer.Add("item_type", std::move(item_type));
  writer.Add("split", std::move(split));
  writer.Add("iteration", std::move(iteration));
  writer.Add("window", std::move(window));
  writer.Add("candidate", std::move(candidate));
  writer.Add("sampling_key", std::move(sampling_key));
  writer.Add("old_persona", std::move(old_persona));
  writer.Add("predicted", std::move(predicted));
  writer.Add("prompt_ids", std::move(prompt_ids));
  writer.Add("persona", std::move(persona));
  writer.Add("persona_ids", std::move(persona_ids));
  writer.Add("finished", std::move(finished));
  writer.Add("flags", std::move(flags));
  writer.Add("flag_names", std::move(flag_names));
  return writer;
}

std::vector<CandidateRecord> CandidateRecordsFromShard(const ShardReader& shard) {
  const auto id = shard.Strings("id");
  const auto dataset_name = shard.Strings("dataset_name");
  const auto item_type = shard.Strings("item_type");
  const auto split = shard.Strings("split");
  const auto iteration = shard.Int64("iteration");
  const auto window = shard.Int64("window");
  const auto candidate = shard.Int64("candidate");
  const auto sampling_key = shard.Int64("sampling_key");
  const auto old_persona = shard.Strings("old_persona");
  const auto predicted = shard.RaggedFloat64("predicted");
  const auto prompt_ids = shard.RaggedInt64("prompt_ids");
  const auto persona = shard.Strings("persona");
  const auto persona_ids = shard.RaggedInt64("persona_ids");
  const auto finished = shard.Int64("finished");
  const auto flags = shard.Int64("flags");
  std::vector<CandidateRecord> records(id.size());
  for (size_t i = 0; i < records.size(); ++i) {
    CandidateRecord& r = records[i];
    r.id = id[i];
    r.dataset_name = dataset_name[i];
    r.item_type = item_type[i];
    r.split = split[i];
    r.iteration = iteration[i];
    r.window = window[i];
    r.candidate = candidate[i];
    r.sampling_key = IntToKey(sampling_key[i]);
    r.old_persona = old_persona[i];
    r.predicted = predicted[i];
    r.prompt_ids = prompt_ids[i];
    r.persona.text = persona[i];
    r.persona.token_ids = persona_ids[i];
    r.persona.stopped = finished[i] != 0;
    r.persona.flags = flags[i];
  }
  return records;
}

}  // namespace deeper
