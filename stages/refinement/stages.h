// The training-side stages of DEEPER, in run order after context_building:
//
//   init_persona          S0 of every user (init_persona.splits) from W0, by models.<init_persona.model>
//   direction_sampling_1  N candidate refinements of S0 on W1 per training user (base refiner, sampled)
//   reward_assignment_1   e_prev/e_curr/e_fut on W0/W1/W2 and the tri-objective reward per candidate
//   pair_mining_1         (chosen, rejected) pairs, pair_mining.iter1 rules, train/pairs.h format
//   dpo_iter1             DPO of the refiner on those pairs -> dpo_iter1/adapter/ (LoRA) or model/ (full)
//   refine_1              S1 = Refine_{M1}(S0, W1, P1) per training user (greedy, iteration-1 model)
//   direction_sampling_2  N candidates refining S1 on W2 with the iteration-1 model
//   reward_assignment_2   rewards on W1/W2/W3
//   pair_mining_2         harder pairs (pair_mining.iter2), expanded loss margin
//   dpo_iter2             DPO continuing from iteration 1's adapter or weights
//
// Shard columns are documented in persona_records.h (init_persona, refine_1), candidate_records.h
// (direction_sampling_*), reward_records.h (reward_assignment_*) and pair_records.h (pair_mining_*);
// dpo stages are described in dpo_stage.h.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/stage.h"

namespace deeper {

std::unique_ptr<Stage> MakeInitPersonaStage(const Config& config);
std::unique_ptr<Stage> MakeDirectionSamplingStage(const Config& config, int iteration);
std::unique_ptr<Stage> MakeRewardAssignmentStage(const Config& config, int iteration);
std::unique_ptr<Stage> MakePairMiningStage(const Config& config, int iteration);
std::unique_ptr<Stage> MakeDpoStage(const Config& config, int iteration);
std::unique_ptr<Stage> MakeRefineStage(const Config& config);

// Whether the config names a refiner checkpoint (models.refiner.path); without one the refinement
// stages cannot run, and the pipeline stops after context_building.
bool RefinementConfigured(const Config& config);

// All of the above in run order (append them after context_building).
std::vector<std::unique_ptr<Stage>> MakeRefinementStages(const Config& config);

}  // namespace deeper
