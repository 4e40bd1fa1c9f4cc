#include "world/refinement_edits.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "world/rating_rule.h"

namespace deeper::world {
namespace {

EditKind KindOf(int from, int to) {
  if (from == 0) return EditKind::kAdd;
  if (to == 0) return EditKind::kRemove;
  if ((from > 0) != (to > 0)) return EditKind::kFlip;
  return std::abs(to) > std::abs(from) ? EditKind::kStrengthen : EditKind::kWeaken;
}

int Sign(double x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); }

// The working state: per item its genres, true rating and the prediction as the edits so far move it.
struct Row {
  std::vector<int> genres;
  double truth;
  double predicted;
  double error() const { return truth - predicted; }
};

void Shift(Row* row, int delta) {
  row->predicted = std::clamp(row->predicted + delta, static_cast<double>(kMinRating), static_cast<double>(kMaxRating));
}

bool MentionsNone(const Tastes& tastes, const Row& row) {
  for (int g : row.genres) {
    if (tastes.affinity[g] != 0) return false;
  }
  return true;
}

// The bias edit, if the items the persona says nothing about show one; applies it to the rows. The
// median error judges it: most of those items carry no taste, so a few that do (a taste the persona
// lacks) do not move it.
void JudgeBias(const Tastes& old, const EditOptions& options, std::vector<Row>* rows, std::vector<TasteEdit>* edits) {
  std::vector<double> errors;
  double sum = 0.0;
  for (const Row& row : *rows) {
    if (!MentionsNone(old, row)) continue;
    errors.push_back(row.error());
    sum += row.error();
  }
  if (static_cast<int>(errors.size()) < options.min_bias_items || std::fabs(sum) < options.min_evidence) return;
  std::sort(errors.begin(), errors.end());
  const size_t n = errors.size();
  const double median = n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
  if (std::fabs(median) < 0.5) return;
  const int to = std::clamp(old.bias + Sign(median), kMinBias, kMaxBias);
  if (to == old.bias) return;
  edits->push_back({EditKind::kBias, -1, old.bias, to});
  for (Row& row : *rows) Shift(&row, to - old.bias);
}

// The strongest genre edit still implied by the rows, or false.
bool BestGenreEdit(const Tastes& tastes, const std::vector<bool>& done, const std::vector<Row>& rows,
                   const EditOptions& options, TasteEdit* edit) {
  double best = 0.0;
  for (int g = 0; g < tastes.num_genres(); ++g) {
    if (done[g]) continue;
    double sum = 0.0;
    int count = 0;
    for (const Row& row : rows) {
      if (std::find(row.genres.begin(), row.genres.end(), g) == row.genres.end()) continue;
      sum += row.error();
      ++count;
    }
    if (count == 0 || std::fabs(sum) < options.min_evidence || std::fabs(sum) <= best) continue;
    const int shift = static_cast<int>(std::lround(sum / count));
    const int to = std::clamp(tastes.affinity[g] + shift, kMinLevel, kMaxLevel);
    if (to == tastes.affinity[g]) continue;
    best = std::fabs(sum);
    *edit = {KindOf(tastes.affinity[g], to), g, tastes.affinity[g], to};
  }
  return best > 0.0;
}

}  // namespace

std::string EditKindName(EditKind kind) {
  switch (kind) {
    case EditKind::kBias: return "bias";
    case EditKind::kAdd: return "add";
    case EditKind::kRemove: return "remove";
    case EditKind::kFlip: return "flip";
    case EditKind::kStrengthen: return "strengthen";
    case EditKind::kWeaken: return "weaken";
  }
  return "?";
}

std::vector<TasteEdit> ImpliedEdits(const Lexicon& lexicon, const Tastes& old, const std::vector<std::string>& items,
                                    const std::vector<double>& truth, const std::vector<double>& predicted,
                                    const EditOptions& options) {
  DEEPER_REQUIRE(items.size() == truth.size() && items.size() == predicted.size(), "refinement: ", items.size(),
                 " items, ", truth.size(), " true ratings and ", predicted.size(), " predictions");
  DEEPER_REQUIRE(old.num_genres() == lexicon.num_genres(), "refinement: tastes over ", old.num_genres(),
                 " genres for a lexicon of ", lexicon.num_genres());
  std::vector<Row> rows;
  for (size_t i = 0; i < items.size(); ++i) rows.push_back({lexicon.ItemGenres(items[i]), truth[i], predicted[i]});
  std::vector<TasteEdit> edits;
  JudgeBias(old, options, &rows, &edits);
  Tastes tastes = ApplyEdits(old, edits);
  std::vector<bool> done(old.num_genres(), false);
  TasteEdit edit;
  while (BestGenreEdit(tastes, done, rows, options, &edit)) {
    edits.push_back(edit);
    tastes.affinity[edit.genre] = edit.to;
    done[edit.genre] = true;
    for (Row& row : rows) {
      if (std::find(row.genres.begin(), row.genres.end(), edit.genre) != row.genres.end()) Shift(&row, edit.to - edit.from);
    }
  }
  return edits;
}

Tastes ApplyEdits(const Tastes& tastes, const std::vector<TasteEdit>& edits) {
  Tastes out = tastes;
  for (const TasteEdit& edit : edits) {
    if (edit.genre < 0) {
      out.bias = edit.to;
    } else {
      out.affinity.at(edit.genre) = edit.to;
    }
  }
  return out;
}

}  // namespace deeper::world
