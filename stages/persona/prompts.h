// The project's prompt texts (config section `prompts`) and how a user's behaviour is written into
// them. The texts are the project's own; every one is a template with {placeholders}:
//
//   persona_system        system message of every persona-writing prompt.          {item_type}
//   init                  S0 from window 0 (items + true ratings).                 {item_type} {scale} {items}
//   refine                S_k from S_{k-1} and W_k with true and predicted ratings. {item_type} {scale} {persona} {items}
//   predict_system        system message of the predictor; holds the persona.       {item_type} {scale} {persona}
//   predict_item          user message asking for one item's rating.                {item_type} {scale} {item}
//   full_regeneration     baseline: a persona from all history so far.             {item_type} {scale} {items}
//   sliding_regeneration  baseline: a persona from the current window only.        {item_type} {scale} {items}
//   incremental_update    baseline: old persona + current window (true ratings).    {item_type} {scale} {persona} {items}
//   hierarchical_summary  baseline: short-term persona from the current window.    {item_type} {scale} {items}
//   hierarchical_merge    baseline: merge long-term and short-term personas.       {item_type} {scale} {persona} {short_term_persona}
//   rated_item            one line of {items} (init, baselines).                   {item} {rating}
//   refinement_item       one line of {items} in refine.                           {item} {rating} {predicted}
//
// Values: {item_type} is the user's item type word (recipe, movie, ...); {scale} the domain's rating
// range ("1 to 5", "0.5 to 5"); {items} one line per item as the Format* helpers below write them.
// Torch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pipeline/config.h"

namespace deeper {

struct PromptSet {
  std::string persona_system;
  std::string init;
  std::string refine;
  std::string predict_system;
  std::string predict_item;
  std::string full_regeneration;
  std::string sliding_regeneration;
  std::string incremental_update;
  std::string hierarchical_summary;
  std::string hierarchical_merge;
  std::string rated_item;
  std::string refinement_item;
};

// Reads section `prompts` and checks every template's placeholders against the table above.
PromptSet PromptSetFromConfig(const Config& config);

// The config key of one prompt ("prompts.refine"), for a stage's ConfigKeys().
std::string PromptConfigKey(const std::string& name);

// A rating as a person writes it: "4", "3.5", "0" (at most two decimals, no trailing zeros).
std::string FormatRating(double rating);

// prompts.rated_item per item, one per line (init and the baselines).
std::string FormatRatedItems(const PromptSet& prompts, const std::vector<std::string>& items,
                             const std::vector<double>& ratings);

// prompts.refinement_item per item, one per line (refine). Predictions are written with one decimal:
// the refiner needs the direction and size of the error, not noise.
std::string FormatRefinementItems(const PromptSet& prompts, const std::vector<std::string>& items,
                                  const std::vector<double>& ratings, const std::vector<double>& predicted);

// The values every persona prompt gets: item_type and scale (e.g. "1 to 5").
std::map<std::string, std::string> BaseValues(const std::string& item_type, const std::string& scale_text);

}  // namespace deeper
