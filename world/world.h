// The simulated behaviour world: users with latent, drifting tastes who rate windows of catalog items
// by the rating rule plus noise. The world keeps every user's true tastes per window, so personas
// can be scored against the truth and not only by prediction error.
#pragma once

#include <string>
#include <vector>

#include "stages/context_building/user_context.h"
#include "world/catalog.h"
#include "world/lexicon.h"
#include "world/tastes.h"
#include "world/world_config.h"

namespace deeper::world {

struct SimUser {
  std::string id;     // "train-00007", "eval-00012"
  std::string split;  // "train" or "eval"
  std::vector<Tastes> tastes;             // tastes[k]: the true tastes while window k was rated
  Drift drift;                            // the one change of tastes, if any
  std::vector<std::vector<int>> items;    // items[k]: catalog indices of window k, in time order
  std::vector<std::vector<int>> ratings;  // ratings[k][i]: the rating of items[k][i], 1..5

  int num_windows() const { return static_cast<int>(items.size()); }
};

class SimWorld {
 public:
  // Generates the whole world from the config (validated first; deeper::Error when unusable).
  explicit SimWorld(const WorldConfig& config);

  const WorldConfig& config() const { return config_; }
  const Lexicon& lexicon() const { return lexicon_; }
  const Catalog& catalog() const { return catalog_; }
  const std::vector<SimUser>& train_users() const { return train_; }
  const std::vector<SimUser>& eval_users() const { return eval_; }

  // Item names and ratings of one window.
  std::vector<std::string> ItemNames(const SimUser& user, int window) const;
  std::vector<double> Ratings(const SimUser& user, int window) const;
  // The user in the pipeline's form (integer ratings, the config's metadata).
  UserContext Context(const SimUser& user) const;
  std::vector<UserContext> Contexts(const std::vector<SimUser>& users) const;

 private:
  WorldConfig config_;
  Lexicon lexicon_;
  Catalog catalog_;
  std::vector<SimUser> train_;
  std::vector<SimUser> eval_;
};

}  // namespace deeper::world
