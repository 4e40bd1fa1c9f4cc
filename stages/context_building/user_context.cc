#include "stages/context_building/user_context.h"

#include "common/error.h"

namespace deeper {

void ValidateWindowLength(int length) {
  DEEPER_REQUIRE(length >= 1 && length <= kMaxWindowLength, "window length must be in 1..", kMaxWindowLength,
                 ", got ", length);
}

bool HasWindows(const UserContext& user, int first, int last) {
  if (first < 0 || last >= static_cast<int>(user.windows.size())) return false;
  for (int k = first; k <= last; ++k) {
    if (user.windows[k].empty()) return false;
  }
  return true;
}

}  // namespace deeper
