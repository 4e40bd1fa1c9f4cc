// The prediction service: a frozen predictor rates a user's items from the persona alone, through
// the rating-token readout (model/scoring.h PredictRatings). No text is generated or parsed.
//
// Prompt shape (prompts.predict_system / prompts.predict_item, rendered in the model's chat format):
//   [system: instructions + the persona] [user: "rate {item}"] [assistant generation prompt] -> rating token
// Every item's conversation differs only after the persona, so the persona part is one prefix shared
// by all items of the user (run once, its KV cache reused); each item is a short suffix. The split is
// found on the token ids of the fully rendered conversations (their longest common prefix), so prefix
// + suffix is exactly the tokenization of the whole text, whatever the tokenizer does at the seam.
//
// The header is torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "stages/persona/prompts.h"
#include "stages/persona/rating_scale.h"

namespace deeper {

class ModelBundle;

struct ItemPrediction {
  double rating = 0.0;        // In the domain's scale, after readout, rounding and clamping.
  double expected = 0.0;      // Expected value over the rating tokens (before rounding/clamping).
  double argmax_value = 0.0;  // Value of the most likely rating token.
  std::vector<double> probs;  // Over the scale's tokens, renormalised.
};

// One persona and the items to rate for it (RatingPredictor::PredictMany).
struct PredictionQuery {
  std::string persona;
  std::vector<std::string> items;
  std::string item_type;
  std::string dataset_name;
};

class RatingPredictor {
 public:
  // The bundle must outlive the predictor. Rating tokens are resolved per scale on first use; a
  // token text that is not exactly one token of the tokenizer is a deeper::Error.
  RatingPredictor(const ModelBundle& bundle, PromptSet prompts, PredictionOptions options);

  // The predicted rating of each item for a user described by `persona` (results in item order).
  // Items may repeat and may come from several windows: one call per persona shares the prefix.
  std::vector<double> Predict(const std::string& persona, const std::vector<std::string>& items,
                              const std::string& item_type, const std::string& dataset_name) const;
  // Same, with the full readout of every item.
  std::vector<ItemPrediction> PredictDetailed(const std::string& persona, const std::vector<std::string>& items,
                                              const std::string& item_type, const std::string& dataset_name) const;
  // Many personas in one pass: up to prediction.max_prefixes persona prefixes are prefilled together
  // and their items batched across personas (model/scoring.h PredictRatingsGrouped), which saves most
  // forward passes when personas are many and items per persona few (reward assignment: the old persona
  // and N candidates per context). Results per query, in order; the same as PredictDetailed on each.
  std::vector<std::vector<ItemPrediction>> PredictMany(const std::vector<PredictionQuery>& queries) const;

  const PredictionOptions& options() const { return options_; }
  const DomainScale& ScaleFor(const std::string& dataset_name) const { return options_.ScaleFor(dataset_name); }

 private:
  // The query's conversations split into the persona prefix and one suffix per item.
  std::pair<std::vector<int64_t>, std::vector<std::vector<int64_t>>> PrefixAndSuffixes(const PredictionQuery& query) const;
  // Ids of the scale's rating tokens, resolved once per dataset.
  const std::vector<int64_t>& RatingTokenIds(const std::string& dataset_name) const;

  const ModelBundle& bundle_;
  PromptSet prompts_;
  PredictionOptions options_;
  mutable std::map<std::string, std::vector<int64_t>> token_ids_;  // dataset_name -> rating token ids
};

// The ratings of a PredictDetailed/PredictMany result, in item order.
std::vector<double> RatingsOf(const std::vector<ItemPrediction>& predictions);

// Mean absolute error over items; both lists must have the same non-zero length.
double MeanAbsoluteError(const std::vector<double>& predicted, const std::vector<double>& truth);

// The longest common prefix of `sequences` (capped so that every sequence keeps at least one token)
// and each sequence's remainder. One sequence: everything but its last token is the prefix.
struct SharedPrefix {
  std::vector<int64_t> prefix;
  std::vector<std::vector<int64_t>> suffixes;
};
SharedPrefix SplitSharedPrefix(const std::vector<std::vector<int64_t>>& sequences);

}  // namespace deeper
