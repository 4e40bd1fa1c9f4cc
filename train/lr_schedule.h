// Learning-rate schedules as HF transformers defines them (get_cosine_schedule_with_warmup and friends):
// lr(step) = base_lr * factor(step), where `step` counts optimizer updates already done (0 for the first).
#pragma once

#include <cstdint>
#include <string>

namespace deeper {

struct LrSchedule {
  std::string kind = "cosine";  // "cosine", "linear" or "constant" (all with linear warmup).
  double base_lr = 5e-6;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  double min_lr_ratio = 0.0;    // Cosine floor as a fraction of base_lr (HF: 0).

  // The rate for the update that follows `step` completed updates.
  double At(int64_t step) const;
};

// Throws deeper::Error for an unknown kind.
void ValidateLrSchedule(const LrSchedule& schedule);

}  // namespace deeper
