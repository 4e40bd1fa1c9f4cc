#include "world/world.h"

#include "world/user_generator.h"

namespace deeper::world {
namespace {

// Validates before anything is built: the lexicon and catalog constructors assume a usable config.
const WorldConfig& Validated(const WorldConfig& config) {
  ValidateWorldConfig(config);
  return config;
}

}  // namespace

SimWorld::SimWorld(const WorldConfig& config)
    : config_(Validated(config)), lexicon_(config.genres), catalog_(config, lexicon_) {
  for (int i = 0; i < config.train_users; ++i) {
    train_.push_back(GenerateUser(config, catalog_, "train", i, config.train_windows));
  }
  for (int i = 0; i < config.eval_users; ++i) {
    eval_.push_back(GenerateUser(config, catalog_, "eval", i, config.eval_windows));
  }
}

std::vector<std::string> SimWorld::ItemNames(const SimUser& user, int window) const {
  std::vector<std::string> names;
  for (int item : user.items.at(window)) names.push_back(catalog_.item(item).name);
  return names;
}

std::vector<double> SimWorld::Ratings(const SimUser& user, int window) const {
  const std::vector<int>& ratings = user.ratings.at(window);
  return std::vector<double>(ratings.begin(), ratings.end());
}

UserContext SimWorld::Context(const SimUser& user) const {
  UserContext context;
  context.id = user.id;
  context.item_type = config_.item_type;
  context.split = user.split;
  context.dataset_name = config_.dataset_name;
  context.source_url = config_.source_url;
  for (int k = 0; k < user.num_windows(); ++k) {
    Window window;
    window.items = ItemNames(user, k);
    window.ratings = Ratings(user, k);
    window.integer_ratings = true;
    context.windows.push_back(std::move(window));
  }
  return context;
}

std::vector<UserContext> SimWorld::Contexts(const std::vector<SimUser>& users) const {
  std::vector<UserContext> contexts;
  contexts.reserve(users.size());
  for (const SimUser& user : users) contexts.push_back(Context(user));
  return contexts;
}

}  // namespace deeper::world
