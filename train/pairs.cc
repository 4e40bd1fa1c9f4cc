#include "train/pairs.h"

#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "pipeline/shard.h"

namespace deeper {
namespace {

void CheckIds(const std::vector<int64_t>& ids, const char* what, int64_t vocab_size, const std::string& where) {
  // The first completion token is predicted from the last prompt token, so nothing may be empty.
  DEEPER_REQUIRE(!ids.empty(), where, ": ", what, " is empty");
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool ok = ids[i] >= 0 && (vocab_size <= 0 || ids[i] < vocab_size);
    DEEPER_REQUIRE(ok, where, ": ", what, "[", i, "] = ", ids[i], " is outside the vocabulary [0, ", vocab_size,
                   ")");
  }
}

}  // namespace

void ValidatePair(const PreferencePair& pair, int64_t vocab_size, const std::string& where) {
  CheckIds(pair.prompt_ids, "prompt_ids", vocab_size, where);
  CheckIds(pair.chosen_ids, "chosen_ids", vocab_size, where);
  CheckIds(pair.rejected_ids, "rejected_ids", vocab_size, where);
  if (pair.ref_chosen_logp) {
    DEEPER_REQUIRE(std::isfinite(*pair.ref_chosen_logp), where, ": ref_chosen_logp is not finite");
  }
  if (pair.ref_rejected_logp) {
    DEEPER_REQUIRE(std::isfinite(*pair.ref_rejected_logp), where, ": ref_rejected_logp is not finite");
  }
}

void WritePairShard(const std::string& path, const PairSet& set) {
  RaggedInt64Column prompts, chosen, rejected;
  Float64Column ref_chosen, ref_rejected;
  bool any_ref = false;
  for (const PreferencePair& pair : set.pairs) any_ref = any_ref || pair.has_ref();
  DEEPER_REQUIRE(!any_ref || set.ref_info.has_value(), path,
                 ": pairs carry reference log-probs but no RefLogpsInfo says how they were computed");
  for (size_t i = 0; i < set.pairs.size(); ++i) {
    const PreferencePair& pair = set.pairs[i];
    prompts.push_back(pair.prompt_ids);
    chosen.push_back(pair.chosen_ids);
    rejected.push_back(pair.rejected_ids);
    if (any_ref) {
      DEEPER_REQUIRE(pair.has_ref(), path, ": pair ", i, " has no reference log-probs while others do");
      ref_chosen.push_back(*pair.ref_chosen_logp);
      ref_rejected.push_back(*pair.ref_rejected_logp);
    }
  }
  ShardWriter writer;
  writer.Add("prompt_ids", std::move(prompts));
  writer.Add("chosen_ids", std::move(chosen));
  writer.Add("rejected_ids", std::move(rejected));
  if (any_ref) {
    writer.Add("ref_chosen_logp", std::move(ref_chosen));
    writer.Add("ref_rejected_logp", std::move(ref_rejected));
    writer.SetAttribute("ref_model", set.ref_info->reference);
    writer.SetAttribute("ref_cutoff_len", set.ref_info->cutoff_len);
    writer.SetAttribute("ref_max_prompt_len", set.ref_info->max_prompt_len);
  }
  writer.SetAttribute("kind", "preference_pairs");
  writer.Commit(path);
}

PairSet ReadPairShard(const std::string& path) {
  ShardReader reader(path);
  for (const char* column : {"prompt_ids", "chosen_ids", "rejected_ids"}) {
    DEEPER_REQUIRE(reader.Has(column), path, ": column '", column, "' is missing (a pair shard needs prompt_ids, ",
                   "chosen_ids and rejected_ids)");
  }
  RaggedInt64Column prompts = reader.RaggedInt64("prompt_ids");
  RaggedInt64Column chosen = reader.RaggedInt64("chosen_ids");
  RaggedInt64Column rejected = reader.RaggedInt64("rejected_ids");
  const bool has_ref = reader.Has("ref_chosen_logp") && reader.Has("ref_rejected_logp");
  DEEPER_REQUIRE(has_ref || (!reader.Has("ref_chosen_logp") && !reader.Has("ref_rejected_logp")), path,
                 ": only one of ref_chosen_logp / ref_rejected_logp is present");
  Float64Column ref_chosen, ref_rejected;
  PairSet set;
  if (has_ref) {
    ref_chosen = reader.Float64("ref_chosen_logp");
    ref_rejected = reader.Float64("ref_rejected_logp");
    RefLogpsInfo info;
    info.reference = reader.HasAttribute("ref_model") ? reader.StringAttribute("ref_model") : "";
    DEEPER_REQUIRE(reader.HasAttribute("ref_cutoff_len"), path,
                   ": reference log-probs without the attribute ref_cutoff_len (the truncation they assume)");
    info.cutoff_len = reader.IntAttribute("ref_cutoff_len");
    info.max_prompt_len = reader.HasAttribute("ref_max_prompt_len") ? reader.IntAttribute("ref_max_prompt_len") : 0;
    set.ref_info = info;
  }
  set.pairs.resize(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    PreferencePair& pair = set.pairs[i];
    pair.prompt_ids = std::move(prompts[i]);
    pair.chosen_ids = std::move(chosen[i]);
    pair.rejected_ids = std::move(rejected[i]);
    if (has_ref) {
      pair.ref_chosen_logp = ref_chosen[i];
      pair.ref_rejected_logp = ref_rejected[i];
    }
    ValidatePair(pair, 0, path + ": row " + std::to_string(i));
  }
  return set;
}

}  // namespace deeper
