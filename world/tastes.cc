#include "world/tastes.h"

#include "common/error.h"

namespace deeper::world {

int Tastes::CountTastes() const {
  int count = 0;
  for (int a : affinity) count += a != 0;
  return count;
}

std::string DriftKindName(DriftKind kind) {
  switch (kind) {
    case DriftKind::kFlip: return "flip";
    case DriftKind::kAppear: return "appear";
    case DriftKind::kNone: break;
  }
  return "none";
}

DriftKind ParseDriftKind(const std::string& name) {
  if (name == "none") return DriftKind::kNone;
  if (name == "flip") return DriftKind::kFlip;
  if (name == "appear") return DriftKind::kAppear;
  Fail("unknown drift kind '", name, "' (expected none, flip or appear)");
}

}  // namespace deeper::world
