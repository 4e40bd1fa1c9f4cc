// The methods that need no persona (sanity checks: REFERENCE figures on the release's eval data are
// e.g. MovieLens .79/.76/.75/.74 for prev_window_mean). Round k scores window W_{k+1}, as for the
// persona methods. Torch-free.
#pragma once

#include <vector>

#include "stages/context_building/user_context.h"
#include "stages/evaluation/methods.h"

namespace deeper {

// Predictions of a trivial method for the items of window `round + 1`:
//   prev_window_mean: the mean true rating of window `round`, for every item;
//   all_max: `scale_max` for every item.
std::vector<double> TrivialPredictions(const MethodInfo& method, const UserContext& user, int round, double scale_max);

}  // namespace deeper
