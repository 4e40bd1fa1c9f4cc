// The edits a window's prediction errors imply for a persona: what DEEPER's refiner is meant to do.
// It sees each item with its true and predicted rating; where the persona's predictions were too low
// or too high across the items of a genre (or across items it states nothing about, for the bias),
// the persona should change.
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"
#include "world/tastes.h"

namespace deeper::world {

enum class EditKind { kBias, kAdd, kRemove, kFlip, kStrengthen, kWeaken };

struct TasteEdit {
  EditKind kind = EditKind::kBias;
  int genre = -1;  // -1 for a bias edit
  int from = 0;
  int to = 0;
};

std::string EditKindName(EditKind kind);  // "bias", "add", "remove", "flip", "strengthen", "weaken"

struct EditOptions {
  // Rating points of error the items behind an edit must add up to (one noisy rating is not enough).
  double min_evidence = 2.0;
  // Items the persona says nothing about needed before the bias is judged from them.
  int min_bias_items = 3;
};

// The edits implied by the errors truth - predicted of a window's items (names give the genres).
// The bias is judged first from the median error of the items whose genres the persona does not
// mention; then genres are edited greedily, strongest evidence first, each edit's effect removed from
// the errors of its items before the next genre is judged, so an item of two genres is not counted
// twice.
std::vector<TasteEdit> ImpliedEdits(const Lexicon& lexicon, const Tastes& old, const std::vector<std::string>& items,
                                    const std::vector<double>& truth, const std::vector<double>& predicted,
                                    const EditOptions& options = {});

Tastes ApplyEdits(const Tastes& tastes, const std::vector<TasteEdit>& edits);

}  // namespace deeper::world
