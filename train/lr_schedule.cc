#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/error.h"

namespace deeper {

void ValidateLrSchedule(const LrSchedule& schedule) {
  DEEPER_REQUIRE(schedule.kind == "cosine" || schedule.kind == "linear" || schedule.kind == "constant",
                 "lr_scheduler '", schedule.kind, "' is not supported (cosine, linear or constant)");
  DEEPER_REQUIRE(schedule.base_lr >= 0, "learning_rate must be >= 0");
  DEEPER_REQUIRE(schedule.warmup_steps >= 0, "warmup_steps must be >= 0");
  DEEPER_REQUIRE(schedule.min_lr_ratio >= 0 && schedule.min_lr_ratio <= 1, "min_lr_ratio must be in [0, 1]");
}

double LrSchedule::At(int64_t step) const {
  if (step < warmup_steps) {
    return base_lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  }
  if (kind == "constant") return base_lr;
  const double progress = static_cast<double>(step - warmup_steps) /
                          static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  if (kind == "linear") return base_lr * std::max(0.0, 1.0 - progress);
  const double cosine = std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
  return base_lr * (min_lr_ratio + (1.0 - min_lr_ratio) * cosine);
}

}  // namespace deeper
