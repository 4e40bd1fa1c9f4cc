#include "stages/persona/prediction.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/error.h"
#include "model/scoring.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/prompt_template.h"

namespace deeper {

RatingPredictor::RatingPredictor(const ModelBundle& bundle, PromptSet prompts, PredictionOptions options)
    : bundle_(bundle), prompts_(std::move(prompts)), options_(std::move(options)) {}

const std::vector<int64_t>& RatingPredictor::RatingTokenIds(const std::string& dataset_name) const {
  auto it = token_ids_.find(dataset_name);
  if (it != token_ids_.end()) return it->second;
  std::vector<int64_t> ids;
  for (const auto& token : ScaleFor(dataset_name).tokens) {
    const auto encoded = bundle_.tokenizer().Encode(token, /*add_special_tokens=*/false);
    DEEPER_REQUIRE(encoded.size() == 1, "prediction scale of '", dataset_name, "': rating token \"", token, "\" is ",
                   encoded.size(), " tokens for model '", bundle_.spec().name, "'; each rating must be one token");
    ids.push_back(encoded[0]);
  }
  return token_ids_.emplace(dataset_name, std::move(ids)).first->second;
}

namespace {

ItemPrediction FromReadout(const RatingPrediction& r, const DomainScale& scale, const PredictionOptions& options) {
  ItemPrediction p;
  p.expected = r.expected;
  p.argmax_value = r.argmax_value;
  p.probs = r.probs;
  p.rating = MapToScale(options.readout == Readout::kExpected ? r.expected : r.argmax_value, scale, options);
  return p;
}

}  // namespace

std::pair<std::vector<int64_t>, std::vector<std::vector<int64_t>>> RatingPredictor::PrefixAndSuffixes(
    const PredictionQuery& query) const {
  std::map<std::string, std::string> values = BaseValues(query.item_type, ScaleFor(query.dataset_name).Text());
  values["persona"] = query.persona;
  const std::string system = RenderTemplate(prompts_.predict_system, values, PromptConfigKey("predict_system"));
  std::vector<std::vector<int64_t>> conversations;
  conversations.reserve(query.items.size());
  for (const auto& item : query.items) {
    values["item"] = item;
    conversations.push_back(
        bundle_.ChatPromptIds(system, RenderTemplate(prompts_.predict_item, values, PromptConfigKey("predict_item"))));
  }
  SharedPrefix split = SplitSharedPrefix(conversations);
  return {std::move(split.prefix), std::move(split.suffixes)};
}

std::vector<ItemPrediction> RatingPredictor::PredictDetailed(const std::string& persona,
                                                             const std::vector<std::string>& items,
                                                             const std::string& item_type,
                                                             const std::string& dataset_name) const {
  return PredictMany({PredictionQuery{persona, items, item_type, dataset_name}}).front();
}

std::vector<std::vector<ItemPrediction>> RatingPredictor::PredictMany(const std::vector<PredictionQuery>& queries) const {
  std::vector<std::vector<ItemPrediction>> out(queries.size());
  // One grouped pass per dataset: the rating tokens (the readout) are the dataset's.
  std::map<std::string, std::vector<size_t>> by_dataset;
  for (size_t q = 0; q < queries.size(); ++q) {
    if (!queries[q].items.empty()) by_dataset[queries[q].dataset_name].push_back(q);
  }
  ScoringOptions scoring;
  scoring.max_batch = options_.max_batch;
  scoring.max_batch_tokens = options_.max_batch_tokens;
  scoring.max_prefixes = options_.max_prefixes;
  for (const auto& [dataset_name, indices] : by_dataset) {
    const DomainScale& scale = ScaleFor(dataset_name);
    std::vector<RatingGroup> groups;
    groups.reserve(indices.size());
    for (size_t q : indices) {
      auto [prefix, suffixes] = PrefixAndSuffixes(queries[q]);
      groups.push_back(RatingGroup{std::move(prefix), std::move(suffixes)});
    }
    const RatingScale rating_scale{RatingTokenIds(dataset_name), scale.values};
    const auto readouts = PredictRatingsGrouped(bundle_.model(), groups, rating_scale, scoring);
    for (size_t g = 0; g < indices.size(); ++g) {
      for (const RatingPrediction& r : readouts[g]) out[indices[g]].push_back(FromReadout(r, scale, options_));
    }
  }
  return out;
}

std::vector<double> RatingPredictor::Predict(const std::string& persona, const std::vector<std::string>& items,
                                             const std::string& item_type, const std::string& dataset_name) const {
  return RatingsOf(PredictDetailed(persona, items, item_type, dataset_name));
}

std::vector<double> RatingsOf(const std::vector<ItemPrediction>& predictions) {
  std::vector<double> ratings;
  ratings.reserve(predictions.size());
  for (const ItemPrediction& p : predictions) ratings.push_back(p.rating);
  return ratings;
}

double MeanAbsoluteError(const std::vector<double>& predicted, const std::vector<double>& truth) {
  DEEPER_REQUIRE(!truth.empty() && predicted.size() == truth.size(), "MAE of ", predicted.size(), " predictions against ",
                 truth.size(), " ratings");
  double sum = 0.0;
  for (size_t i = 0; i < truth.size(); ++i) sum += std::fabs(predicted[i] - truth[i]);
  return sum / static_cast<double>(truth.size());
}

SharedPrefix SplitSharedPrefix(const std::vector<std::vector<int64_t>>& sequences) {
  SharedPrefix out;
  if (sequences.empty()) return out;
  size_t common = sequences[0].size();
  for (const auto& s : sequences) {
    DEEPER_REQUIRE(!s.empty(), "SplitSharedPrefix: an empty sequence");
    common = std::min(common, s.size() - 1);  // every suffix keeps at least one token
    size_t i = 0;
    while (i < common && s[i] == sequences[0][i]) ++i;
    common = i;
  }
  out.prefix.assign(sequences[0].begin(), sequences[0].begin() + static_cast<std::ptrdiff_t>(common));
  for (const auto& s : sequences) out.suffixes.emplace_back(s.begin() + static_cast<std::ptrdiff_t>(common), s.end());
  return out;
}

}  // namespace deeper
