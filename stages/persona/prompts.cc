#include "stages/persona/prompts.h"

#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "stages/persona/prompt_template.h"

namespace deeper {
namespace {

struct PromptSlot {
  const char* name;
  std::string PromptSet::*field;
  std::vector<std::string> placeholders;
};

const std::vector<PromptSlot>& Slots() {
  static const std::vector<PromptSlot> slots = {
      {"persona_system", &PromptSet::persona_system, {"item_type"}},
      {"init", &PromptSet::init, {"item_type", "scale", "items"}},
      {"refine", &PromptSet::refine, {"item_type", "scale", "persona", "items"}},
      {"predict_system", &PromptSet::predict_system, {"item_type", "scale", "persona"}},
      {"predict_item", &PromptSet::predict_item, {"item_type", "scale", "item"}},
      {"full_regeneration", &PromptSet::full_regeneration, {"item_type", "scale", "items"}},
      {"sliding_regeneration", &PromptSet::sliding_regeneration, {"item_type", "scale", "items"}},
      {"incremental_update", &PromptSet::incremental_update, {"item_type", "scale", "persona", "items"}},
      {"hierarchical_summary", &PromptSet::hierarchical_summary, {"item_type", "scale", "items"}},
      {"hierarchical_merge", &PromptSet::hierarchical_merge, {"item_type", "scale", "persona", "short_term_persona"}},
      {"rated_item", &PromptSet::rated_item, {"item", "rating"}},
      {"refinement_item", &PromptSet::refinement_item, {"item", "rating", "predicted"}},
  };
  return slots;
}

// Shortest text of `value` with at most `decimals` decimals ("4", "3.5", "3.25").
std::string FormatNumber(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

void RequireAligned(size_t items, size_t values, const char* what) {
  DEEPER_REQUIRE(items == values, "persona prompt: ", items, " items but ", values, " ", what);
}

}  // namespace

PromptSet PromptSetFromConfig(const Config& config) {
  PromptSet set;
  for (const auto& slot : Slots()) {
    const std::string key = PromptConfigKey(slot.name);
    set.*slot.field = config.Get<std::string>(key);
    RequirePlaceholders(set.*slot.field, slot.placeholders, config.source() + ": " + key);
  }
  return set;
}

std::string PromptConfigKey(const std::string& name) { return "prompts." + name; }

std::string FormatRating(double rating) { return FormatNumber(rating, 2); }

std::string FormatRatedItems(const PromptSet& prompts, const std::vector<std::string>& items,
                             const std::vector<double>& ratings) {
  RequireAligned(items.size(), ratings.size(), "ratings");
  const std::string where = PromptConfigKey("rated_item");
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) text += "\n";
    text += RenderTemplate(prompts.rated_item, {{"item", items[i]}, {"rating", FormatRating(ratings[i])}}, where);
  }
  return text;
}

std::string FormatRefinementItems(const PromptSet& prompts, const std::vector<std::string>& items,
                                  const std::vector<double>& ratings, const std::vector<double>& predicted) {
  RequireAligned(items.size(), ratings.size(), "ratings");
  RequireAligned(items.size(), predicted.size(), "predictions");
  const std::string where = PromptConfigKey("refinement_item");
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) text += "\n";
    text += RenderTemplate(prompts.refinement_item,
                           {{"item", items[i]}, {"rating", FormatRating(ratings[i])},
                            {"predicted", FormatNumber(predicted[i], 1)}},
                           where);
  }
  return text;
}

std::map<std::string, std::string> BaseValues(const std::string& item_type, const std::string& scale_text) {
  return {{"item_type", item_type}, {"scale", scale_text}};
}

}  // namespace deeper
