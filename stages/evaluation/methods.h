// The methods the evaluation compares. Each turns S_{k-1} and window W_k into S_k; all are scored by
// the same frozen predictor. Torch-free.
//
//   deeper_base, deeper_iter1, deeper_iter2   Refine(S_{k-1}, W_k items, true ratings, predictions of
//                                             S_{k-1}) with the refiner before DPO / after dpo_iter1 /
//                                             after dpo_iter2 (prompts.refine)
//   full_regen    a new persona from all history W_0..W_k           (prompts.full_regeneration)
//   slide_regen   a new persona from W_k only                        (prompts.sliding_regeneration)
//   inc_update    S_{k-1} + W_k -> new traits integrated             (prompts.incremental_update)
//   hier_merge    short-term persona from W_k, merged with S_{k-1}   (prompts.hierarchical_summary, _merge)
//   prev_window_mean   no persona: every item of W_{k+1} gets the mean true rating of W_k
//   all_max            no persona: every item gets the domain's highest rating
// The baselines never see predictions.
#pragma once

#include <string>
#include <vector>

namespace deeper {

enum class MethodKind {
  kDeeper,    // the trained refiner
  kBaseline,  // a persona baseline, written by evaluation.baseline_model
  kTrivial,   // no persona at all
};

enum class PersonaUpdate { kRefine, kFullRegeneration, kSlidingRegeneration, kIncrementalUpdate, kHierarchicalMerge, kNone };

struct MethodInfo {
  std::string name;
  MethodKind kind = MethodKind::kTrivial;
  PersonaUpdate update = PersonaUpdate::kNone;
  int dpo_iteration = 0;  // kDeeper: 0 = before DPO, 1 or 2 = after dpo_iter1 / dpo_iter2.
};

// Every method, in the report's order.
const std::vector<MethodInfo>& AllMethods();
// The method called `name`; an unknown name is a deeper::Error listing the known ones.
const MethodInfo& MethodByName(const std::string& name);

bool NeedsPersona(const MethodInfo& method);

}  // namespace deeper
