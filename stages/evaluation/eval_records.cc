#include "stages/evaluation/eval_records.h"

#include <cmath>
#include <cstdint>

#include "common/error.h"

namespace deeper {

void EvalRecord::AddRound(const std::vector<double>& round_predicted, const std::vector<double>& round_truth) {
  DEEPER_REQUIRE(!round_truth.empty() && round_predicted.size() == round_truth.size(), "evaluation: user ", dataset_name,
                 "/", id, ": ", round_predicted.size(), " predictions for ", round_truth.size(), " ratings");
  double sum = 0.0;
  for (size_t i = 0; i < round_truth.size(); ++i) sum += std::fabs(round_predicted[i] - round_truth[i]);
  predicted.insert(predicted.end(), round_predicted.begin(), round_predicted.end());
  truth.insert(truth.end(), round_truth.begin(), round_truth.end());
  round_items.push_back(static_cast<int64_t>(round_truth.size()));
  mae.push_back(sum / static_cast<double>(round_truth.size()));
}

ShardWriter EvalRecordsToShard(const std::vector<EvalRecord>& records, int rounds) {
  StringColumn id, dataset_name, item_type, split, method;
  RaggedStringColumn personas, short_term;
  RaggedInt64Column persona_flags, round_items;
  RaggedFloat64Column predicted, truth, mae;
  for (const auto& r : records) {
    id.push_back(r.id);
    dataset_name.push_back(r.dataset_name);
    item_type.push_back(r.item_type);
    split.push_back(r.split);
    method.push_back(r.method);
    personas.push_back(r.personas);
    short_term.push_back(r.short_term);
    persona_flags.push_back(r.persona_flags);
    predicted.push_back(r.predicted);
    truth.push_back(r.truth);
    round_items.push_back(r.round_items);
    mae.push_back(r.mae);
  }
  ShardWriter writer;
  writer.Add("id", std::move(id));
  writer.Add("dataset_name", std::move(dataset_name));
  writer.Add("item_type", std::move(item_type));
  writer.Add("split", std::move(split));
  writer.Add("method", std::move(method));
  writer.Add("personas", std::move(personas));
  writer.Add("short_term", std::move(short_term));
  writer.Add("persona_flags", std::move(persona_flags));
  writer.Add("predicted", std::move(predicted));
  writer.Add("truth", std::move(truth));
  writer.Add("round_items", std::move(round_items));
  writer.Add("mae", std::move(mae));
  writer.SetAttribute("rounds", static_cast<int64_t>(rounds));
  return writer;
}

std::vector<EvalRecord> EvalRecordsFromShard(const ShardReader& shard) {
  const auto id = shard.Strings("id");
  const auto dataset_name = shard.Strings("dataset_name");
  const auto item_type = shard.Strings("item_type");
  const auto split = shard.Strings("split");
  const auto method = shard.Strings("method");
  const auto personas = shard.RaggedStrings("personas");
  const auto short_term = shard.RaggedStrings("short_term");
  const auto persona_flags = shard.RaggedInt64("persona_flags");
  const auto predicted = shard.RaggedFloat64("predicted");
  const auto truth = shard.RaggedFloat64("truth");
  const auto round_items = shard.RaggedInt64("round_items");
  const auto mae = shard.RaggedFloat64("mae");
  std::vector<EvalRecord> records(id.size());
  for (size_t i = 0; i < id.size(); ++i) {
    records[i] = {id[i],        dataset_name[i], item_type[i], split[i],        method[i], personas[i], short_term[i],
                  persona_flags[i], predicted[i], truth[i],   round_items[i], mae[i]};
  }
  return records;
}

}  // namespace deeper
