#include "stages/evaluation/methods.h"

#include "common/error.h"

namespace deeper {

const std::vector<MethodInfo>& AllMethods() {
  static const std::vector<MethodInfo> methods = {
      {"deeper_base", MethodKind::kDeeper, PersonaUpdate::kRefine, 0},
      {"deeper_iter1", MethodKind::kDeeper, PersonaUpdate::kRefine, 1},
      {"deeper_iter2", MethodKind::kDeeper, PersonaUpdate::kRefine, 2},
      {"full_regen", MethodKind::kBaseline, PersonaUpdate::kFullRegeneration, 0},
      {"slide_regen", MethodKind::kBaseline, PersonaUpdate::kSlidingRegeneration, 0},
      {"inc_update", MethodKind::kBaseline, PersonaUpdate::kIncrementalUpdate, 0},
      {"hier_merge", MethodKind::kBaseline, PersonaUpdate::kHierarchicalMerge, 0},
      {"prev_window_mean", MethodKind::kTrivial, PersonaUpdate::kNone, 0},
      {"all_max", MethodKind::kTrivial, PersonaUpdate::kNone, 0},
  };
  return methods;
}

const MethodInfo& MethodByName(const std::string& name) {
  std::string known;
  for (const auto& method : AllMethods()) {
    if (method.name == name) return method;
    known += " " + method.name;
  }
  Fail("evaluation.methods: unknown method '", name, "'; known:", known);
}

bool NeedsPersona(const MethodInfo& method) { return method.kind != MethodKind::kTrivial; }

}  // namespace deeper
