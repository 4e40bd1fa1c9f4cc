// The training candidates of a DPO iteration by reward rank, measured against the simulated world's
// truth: whether the tri-objective reward ranks truer personas higher, and whether the frozen predictor
// rates those very personas as the world's own rule would. DPO can only move the refiner toward what
// its top-ranked candidates say, so a reward that ranks by recall rather than precision shows here
// before any training. Torch-free; the evaluation stage writes reward_ranks.csv with it.
#pragma once

#include <string>
#include <vector>

#include "stages/evaluation/world_report.h"
#include "stages/refinement/reward_records.h"
#include "world/world.h"

namespace deeper {

// Every candidate of `records` ranked within its context (user id and window k) by reward, highest
// first, ties by lower candidate index (as pair mining ranks them), and measured against the world's
// user: taste quality against the true tastes of window k; rule_error, the mean over windows k-1, k,
// k+1 of the MAE the world's rating rule gives with the candidate's tastes (a malformed persona states
// nothing: a fair rater without tastes), next to predictor_error, the same mean of the record's
// e_prev, e_curr, e_fut. One row per rank that some context reaches. A user the world does not have, or
// a window it does not have, is a deeper::Error naming `source`.
std::vector<RewardRankRow> RewardRankRows(int iteration, const std::vector<RewardRecord>& records,
                                          const world::SimWorld& world, const std::string& source);

}  // namespace deeper
