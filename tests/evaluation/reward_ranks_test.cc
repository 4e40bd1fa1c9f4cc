// Training candidates by reward rank against the world (stages/evaluation/reward_ranks.h): the ranking
// pair mining uses, the quality figures of each rank, and the rule's error next to the predictor's.
#include "stages/evaluation/reward_ranks.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "world/persona.h"
#include "world/rating_rule.h"

namespace deeper {
namespace {

world::WorldConfig SmallWorld() {
  world::WorldConfig c;
  c.train_users = 20;
  c.eval_users = 1;
  c.genres = 6;
  c.persona_style = world::PersonaStyle::kDense;
  return c;
}

RewardRecord Candidate(const std::string& id, int64_t window, int64_t index, double reward, std::string persona) {
  RewardRecord r;
  r.id = id;
  r.window = window;
  r.candidate = index;
  r.reward.total = reward;
  r.errors = {0.3, 0.6, 0.9};
  r.persona = std::move(persona);
  return r;
}

class RewardRanksTest : public ::testing::Test {
 protected:
  RewardRanksTest() : world_(SmallWorld()), a_(world_.train_users()[0]), b_(world_.train_users()[1]) {}

  std::string Render(const world::Tastes& tastes) const {
    return world::RenderPersona(tastes, world_.lexicon(), world::PersonaStyle::kDense);
  }
  // The rule's MAE with `tastes` over windows 0..2 of `user`, window by window.
  double RuleError(const world::SimUser& user, const world::Tastes& tastes) const {
    double sum = 0.0;
    for (int g = 0; g <= 2; ++g) {
      const auto items = world_.ItemNames(user, g);
      const auto ratings = world_.Ratings(user, g);
      const auto predicted = world::PredictRatings(tastes, world_.lexicon(), items);
      double window = 0.0;
      for (size_t i = 0; i < items.size(); ++i) window += std::fabs(predicted[i] - ratings[i]);
      sum += window / static_cast<double>(items.size());
    }
    return sum / 3.0;
  }

  world::SimWorld world_;
  const world::SimUser& a_;
  const world::SimUser& b_;
};

TEST_F(RewardRanksTest, RanksWithinEachContextByRewardThenCandidateIndex) {
  const world::Tastes truth_a = a_.tastes[1];
  const int true_tastes = truth_a.CountTastes();
  ASSERT_GE(true_tastes, 2);
  ASSERT_LT(true_tastes, 6);
  // A wrong bias and a taste on a genre without one, every true taste exact.
  world::Tastes spurious = truth_a;
  spurious.bias = truth_a.bias == 1 ? 0 : truth_a.bias + 1;
  for (int g = 0; g < 6; ++g) {
    if (spurious.affinity[g] == 0) {
      spurious.affinity[g] = 1;
      break;
    }
  }
  const std::vector<RewardRecord> records = {
      Candidate(a_.id, 1, 0, 0.1, Render(world::Tastes(6))),  // rank 2: fair, no tastes
      Candidate(a_.id, 1, 2, 0.3, Render(truth_a)),           // rank 1 (tie, higher index)
      Candidate(a_.id, 1, 1, 0.3, Render(spurious)),          // rank 0 (tie, lower index)
      Candidate(b_.id, 1, 0, 0.5, "rater rater ."),           // rank 0: malformed
      Candidate(b_.id, 1, 1, -0.2, Render(b_.tastes[1])),     // rank 1: exactly right
  };
  const auto rows = RewardRankRows(1, records, world_, "reward_assignment_1");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].iteration, 1);
  EXPECT_EQ(rows[0].candidates, 2);
  EXPECT_EQ(rows[2].candidates, 1);
  EXPECT_DOUBLE_EQ(rows[0].mean_reward, (0.3 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(rows[1].mean_reward, (0.3 - 0.2) / 2);
  EXPECT_DOUBLE_EQ(rows[0].predictor_error, 0.6);
  // Rank 0: the spurious persona (its true tastes right, bias and the extra taste wrong) and the
  // malformed one (counts 0, states nothing, and the rule rates it as a fair rater without tastes).
  EXPECT_DOUBLE_EQ(rows[0].malformed_rate, 0.5);
  EXPECT_DOUBLE_EQ(rows[0].bias_accuracy, 0.0);
  EXPECT_DOUBLE_EQ(rows[0].taste_precision, (static_cast<double>(true_tastes) / (true_tastes + 2) + 0.0) / 2);
  EXPECT_DOUBLE_EQ(rows[0].stated, (true_tastes + 1.0) / 2);
  EXPECT_DOUBLE_EQ(rows[0].spurious, 0.5);
  EXPECT_NEAR(rows[0].rule_error, (RuleError(a_, spurious) + RuleError(b_, world::Tastes(6))) / 2, 1e-12);
  // Rank 1: both exactly right.
  EXPECT_DOUBLE_EQ(rows[1].taste_precision, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].taste_recall, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].bias_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].exact, (true_tastes + b_.tastes[1].CountTastes()) / 2.0);
  EXPECT_NEAR(rows[1].rule_error, (RuleError(a_, truth_a) + RuleError(b_, b_.tastes[1])) / 2, 1e-12);
  // Rank 2: nothing stated; only the bias can be right.
  EXPECT_DOUBLE_EQ(rows[2].stated, 0.0);
  EXPECT_DOUBLE_EQ(rows[2].taste_recall, truth_a.bias == 0 ? 1.0 / (true_tastes + 1) : 0.0);
}

TEST_F(RewardRanksTest, TheNoTastePersonasRuleErrorIsTheDistanceFromThree) {
  // Computed from the ratings alone: a fair rater without tastes is rated 3 for everything.
  double sum = 0.0;
  for (int g = 1; g <= 3; ++g) {
    double window = 0.0;
    for (double rating : world_.Ratings(b_, g)) window += std::fabs(rating - 3.0);
    sum += window / static_cast<double>(world_.Ratings(b_, g).size());
  }
  const auto rows =
      RewardRankRows(2, {Candidate(b_.id, 2, 0, 0.0, "no persona at all")}, world_, "reward_assignment_2");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].iteration, 2);
  EXPECT_NEAR(rows[0].rule_error, sum / 3.0, 1e-12);
}

TEST_F(RewardRanksTest, ContextsAreUserAndWindow) {
  // A user whose tastes change between windows 1 and 2: each context is measured against its own
  // window's truth, so both true personas are exactly right.
  const world::SimUser* drifter = nullptr;
  for (const auto& user : world_.train_users()) {
    if (!(user.tastes[1] == user.tastes[2])) drifter = &user;
  }
  ASSERT_NE(drifter, nullptr);
  const std::vector<RewardRecord> records = {Candidate(drifter->id, 1, 0, 0.0, Render(drifter->tastes[1])),
                                             Candidate(drifter->id, 2, 0, 0.0, Render(drifter->tastes[2]))};
  const auto rows = RewardRankRows(1, records, world_, "reward_assignment_1");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].candidates, 2);
  EXPECT_DOUBLE_EQ(rows[0].taste_precision, 1.0);
  EXPECT_DOUBLE_EQ(rows[0].taste_recall, 1.0);
}

TEST_F(RewardRanksTest, UnknownUserOrWindowNamesTheSource) {
  try {
    RewardRankRows(1, {Candidate("zz", 1, 0, 0.0, "fair rater .")}, world_, "reward_assignment_1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reward_assignment_1: user zz is not in the world"), std::string::npos)
        << e.what();
  }
  try {
    RewardRankRows(1, {Candidate(a_.id, 4, 0, 0.0, "fair rater .")}, world_, "reward_assignment_1");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("window 4 needs windows 3..5 of the world's 0..4"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace deeper
