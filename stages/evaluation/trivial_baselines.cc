#include "stages/evaluation/trivial_baselines.h"

#include "common/error.h"

namespace deeper {

std::vector<double> TrivialPredictions(const MethodInfo& method, const UserContext& user, int round, double scale_max) {
  DEEPER_REQUIRE(round >= 0 && HasWindows(user, round, round + 1), "evaluation: user ", user.dataset_name, "/", user.id,
                 " has no windows ", round, " and ", round + 1);
  const Window& scored = user.windows[static_cast<size_t>(round) + 1];
  if (method.name == "all_max") return std::vector<double>(scored.items.size(), scale_max);
  DEEPER_REQUIRE(method.name == "prev_window_mean", "evaluation: '", method.name, "' is not a trivial method");
  const Window& previous = user.windows[static_cast<size_t>(round)];
  double sum = 0.0;
  for (double r : previous.ratings) sum += r;
  return std::vector<double>(scored.items.size(), sum / static_cast<double>(previous.ratings.size()));
}

}  // namespace deeper
