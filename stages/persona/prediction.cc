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

std::vector<ItemPrediction> RatingPredictor::PredictDetailed(const std::string& persona,
                                                             const std::vector<std::string>& items,
                                                             const std::string& item_type,
                                                             const std::string& dataset_name) const {
  if (items.empty()) return {};
  const DomainScale& scale = ScaleFor(dataset_name);
  std::map<std::string, std::string> values = BaseValues(item_type, scale.Text());
  values["persona"] = persona;
  const std::string system = RenderTemplate(prompts_.predict_system, values, PromptConfigKey("predict_system"));
  std::vector<std::vector<int64_t>> conversations;
  conversations.reserve(items.size());
  for (const auto& item : items) {
    values["item"] = item;
    conversations.push_back(
        bundle_.ChatPromptIds(system, RenderTemplate(prompts_.predict_item, values, PromptConfigKey("predict_item"))));
  }
  SharedPrefix split = SplitSharedPrefix(conversations);
  RatingScale rating_scale{RatingTokenIds(dataset_name), scale.values};
  ScoringOptions scoring;
  scoring.max_batch = options_.max_batch;
  scoring.max_batch_tokens = options_.max_batch_tokens;
  const auto readouts = PredictRatings(bundle_.model(), split.prefix, split.suffixes, rating_scale, scoring);
  std::vector<ItemPrediction> predictions;
  predictions.reserve(readouts.size());
  for (const auto& r : readouts) {
    ItemPrediction p;
    p.expected = r.expected;
    p.argmax_value = r.argmax_value;
    p.probs = r.probs;
    p.rating = MapToScale(options_.readout == Readout::kExpected ? r.expected : r.argmax_value, scale, options_);
    predictions.push_back(std::move(p));
  }
  return predictions;
}

std::vector<double> RatingPredictor::Predict(const std::string& persona, const std::vector<std::string>& items,
                                             const std::string& item_type, const std::string& dataset_name) const {
  std::vector<double> ratings;
  for (const auto& p : PredictDetailed(persona, items, item_type, dataset_name)) ratings.push_back(p.rating);
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
