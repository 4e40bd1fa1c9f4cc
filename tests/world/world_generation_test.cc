// The generated world: deterministic per seed, ratings by the rule, drift at the configured rate,
// tastes and items of the configured shapes, and bad configs refused with the key named.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/error.h"
#include "tests/world/world_test_util.h"
#include "world/persona.h"
#include "world/rating_rule.h"
#include "world/truth_file.h"
#include "world/world.h"
#include "world/world_stats.h"

namespace deeper::world {
namespace {

using testing::SmallConfig;

std::string Fingerprint(const SimWorld& world) {
  std::string out = FormatTruthJsonl(world, world.train_users()) + FormatTruthJsonl(world, world.eval_users());
  for (const auto* users : {&world.train_users(), &world.eval_users()}) {
    for (const SimUser& user : *users) {
      for (int k = 0; k < user.num_windows(); ++k) {
        for (const std::string& name : world.ItemNames(user, k)) out += name + ";";
        for (int r : user.ratings[k]) out += std::to_string(r);
      }
    }
  }
  return out;
}

TEST(WorldGenerationTest, SameSeedSameWorldOtherSeedOtherWorld) {
  const std::string a = Fingerprint(SimWorld(SmallConfig(7)));
  EXPECT_EQ(a, Fingerprint(SimWorld(SmallConfig(7))));
  EXPECT_NE(a, Fingerprint(SimWorld(SmallConfig(8))));
}

// Streams are keyed per user: more eval users leave the train users alone, and another noise level
// leaves the items alone.
TEST(WorldGenerationTest, DrawsAreIndependentAcrossKnobs) {
  WorldConfig base = SmallConfig();
  WorldConfig more = base;
  more.eval_users = 60;
  const SimWorld a(base), b(more);
  EXPECT_EQ(FormatTruthJsonl(a, a.train_users()), FormatTruthJsonl(b, b.train_users()));
  WorldConfig quiet = base;
  quiet.noise = 0.0;
  const SimWorld c(quiet);
  for (size_t u = 0; u < a.eval_users().size(); ++u) EXPECT_EQ(a.eval_users()[u].items, c.eval_users()[u].items);
}

TEST(WorldGenerationTest, NoiseFreeRatingsFollowTheRuleExactly) {
  WorldConfig config = SmallConfig();
  config.noise = 0.0;
  const SimWorld world(config);
  int checked = 0;
  for (const auto* users : {&world.train_users(), &world.eval_users()}) {
    for (const SimUser& user : *users) {
      for (int k = 0; k < user.num_windows(); ++k) {
        const std::vector<double> predicted = PredictRatings(user.tastes[k], world.lexicon(), world.ItemNames(user, k));
        EXPECT_EQ(predicted, world.Ratings(user, k)) << user.id << " window " << k;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 40 * 5 + 30 * 6);
  const WorldStats stats = ComputeWorldStats(world, world.eval_users());
  EXPECT_EQ(stats.noise_floor_mae, 0.0);
}

TEST(WorldGenerationTest, NoisyRatingsStayNearTheRule) {
  const SimWorld world(SmallConfig());
  const WorldStats stats = ComputeWorldStats(world, world.eval_users());
  // sigma 0.5 before rounding: about a third of the ratings move by one.
  EXPECT_GT(stats.noise_floor_mae, 0.15);
  EXPECT_LT(stats.noise_floor_mae, 0.45);
  EXPECT_GT(stats.empty_persona_mae, stats.bias_only_mae);
  EXPECT_GT(stats.bias_only_mae, stats.noise_floor_mae);
}

TEST(WorldGenerationTest, DriftHappensForTheConfiguredFraction) {
  for (double fraction : {0.0, 0.5, 1.0}) {
    WorldConfig config;
    config.train_users = 1500;
    config.eval_users = 500;
    config.drift_fraction = fraction;
    const SimWorld world(config);
    int drifted = 0, users = 0;
    for (const auto* group : {&world.train_users(), &world.eval_users()}) {
      for (const SimUser& user : *group) {
        ++users;
        const Drift& d = user.drift;
        if (d.kind == DriftKind::kNone) {
          EXPECT_EQ(d.window, -1);
          for (const Tastes& t : user.tastes) EXPECT_EQ(t, user.tastes[0]);
          continue;
        }
        ++drifted;
        ASSERT_GE(d.window, 1);
        ASSERT_LT(d.window, user.num_windows());
        // Before the drift window the old taste, from it on the new one; nothing else changes.
        for (int k = 0; k < user.num_windows(); ++k) {
          EXPECT_EQ(user.tastes[k].affinity[d.genre], k < d.window ? d.from_level : d.to_level);
          Tastes other = user.tastes[k];
          other.affinity[d.genre] = user.tastes[0].affinity[d.genre];
          EXPECT_EQ(other, user.tastes[0]);
        }
        if (d.kind == DriftKind::kFlip) {
          EXPECT_NE(d.from_level, 0);
          EXPECT_EQ(d.to_level, -d.from_level);
        } else {
          EXPECT_EQ(d.from_level, 0);
          EXPECT_NE(d.to_level, 0);
        }
      }
    }
    EXPECT_NEAR(static_cast<double>(drifted) / users, fraction, 0.04) << "drift_fraction " << fraction;
  }
}

TEST(WorldGenerationTest, UsersAndItemsHaveTheConfiguredShapes) {
  const SimWorld world(SmallConfig());
  const WorldConfig& config = world.config();
  std::set<std::string> ids;
  for (const auto* group : {&world.train_users(), &world.eval_users()}) {
    for (const SimUser& user : *group) {
      EXPECT_TRUE(ids.insert(user.id).second) << user.id;
      EXPECT_EQ(user.num_windows(), user.split == "train" ? config.train_windows : config.eval_windows);
      const Tastes& t = user.tastes[0];
      EXPECT_GE(t.bias, -1);
      EXPECT_LE(t.bias, 1);
      EXPECT_GE(t.CountTastes(), config.min_tastes);
      EXPECT_LE(t.CountTastes(), config.max_tastes);
      for (int a : t.affinity) EXPECT_TRUE(a == 0 || a == 1 || a == -1 || a == 2 || a == -2);
      std::set<int> seen;
      for (int k = 0; k < user.num_windows(); ++k) {
        ASSERT_EQ(user.items[k].size(), static_cast<size_t>(config.window_length));
        for (size_t i = 0; i < user.items[k].size(); ++i) {
          EXPECT_TRUE(seen.insert(user.items[k][i]).second) << user.id << " sees an item twice";
          EXPECT_GE(user.ratings[k][i], 1);
          EXPECT_LE(user.ratings[k][i], 5);
        }
      }
    }
  }
  EXPECT_EQ(ids.count("train-00000"), 1u);
  EXPECT_EQ(ids.count("eval-00029"), 1u);
  std::set<std::string> names;
  for (int i = 0; i < world.catalog().size(); ++i) {
    const CatalogItem& item = world.catalog().item(i);
    EXPECT_TRUE(names.insert(item.name).second) << item.name;
    EXPECT_EQ(std::count(item.name.begin(), item.name.end(), ' '), 2) << item.name;
    EXPECT_EQ(world.lexicon().ItemGenres(item.name), item.genres) << item.name;
    EXPECT_GE(item.genres.size(), 1u);
    EXPECT_LE(item.genres.size(), 2u);
  }
}

TEST(WorldGenerationTest, BadSettingsAreRefusedWithTheKey) {
  auto refused = [](const std::string& settings, const std::string& needle) {
    try {
      ParseWorldSettings(settings);
    } catch (const Error& e) {
      return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refused("genres=15", "genres"));
  EXPECT_TRUE(refused("noise=-1", "noise"));
  EXPECT_TRUE(refused("eval_windows=2", "eval_windows"));
  EXPECT_TRUE(refused("colour=blue", "unknown key 'colour'"));
  EXPECT_TRUE(refused("train_users=ten", "expected an integer"));
  EXPECT_TRUE(refused("persona_style=fancy", "sparse or dense"));
  EXPECT_TRUE(refused("clause_tokens=maybe", "true or false"));
  EXPECT_TRUE(refused("min_tastes=5,max_tastes=3", "max_tastes"));
  EXPECT_TRUE(refused("catalog_size=50", "catalog_size"));
  EXPECT_TRUE(refused("dataset_name=a'b", "dataset_name"));
  EXPECT_TRUE(refused("seed=-3", "seed"));
  const WorldConfig c = ParseWorldSettings("seed=5,train_users=10,noise=0.25,persona_style=dense,clause_tokens=false");
  EXPECT_EQ(c.seed, 5u);
  EXPECT_EQ(c.train_users, 10);
  EXPECT_EQ(c.noise, 0.25);
  EXPECT_EQ(c.persona_style, PersonaStyle::kDense);
  EXPECT_FALSE(c.clause_tokens);
  EXPECT_TRUE(ParseWorldSettings("").clause_tokens);
}

}  // namespace
}  // namespace deeper::world
