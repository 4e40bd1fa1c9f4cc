#include "world/user_generator.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "world/keyed_rng.h"
#include "world/rating_rule.h"

namespace deeper::world {
namespace {

// A non-zero level: -2, -1, +1 or +2 with equal chances.
int DrawLevel(KeyedRng* rng) {
  static constexpr int kLevels[] = {-2, -1, 1, 2};
  return kLevels[rng->UniformInt(4)];
}

Tastes DrawTastes(const WorldConfig& config, KeyedRng* rng) {
  Tastes tastes(config.genres);
  tastes.bias = rng->UniformRange(kMinBias, kMaxBias);
  std::vector<int> order(config.genres);
  for (int g = 0; g < config.genres; ++g) order[g] = g;
  const int count = rng->UniformRange(config.min_tastes, config.max_tastes);
  // A partial Fisher-Yates: the first `count` entries are a uniform choice of distinct genres.
  for (int i = 0; i < count; ++i) {
    std::swap(order[i], order[i + rng->UniformInt(config.genres - i)]);
    tastes.affinity[order[i]] = DrawLevel(rng);
  }
  return tastes;
}

// Genres with (want_taste) or without a taste.
std::vector<int> GenresWhere(const Tastes& tastes, bool want_taste) {
  std::vector<int> genres;
  for (int g = 0; g < tastes.num_genres(); ++g) {
    if ((tastes.affinity[g] != 0) == want_taste) genres.push_back(g);
  }
  return genres;
}

Drift DrawDrift(const WorldConfig& config, const Tastes& base, int windows, KeyedRng* rng) {
  Drift drift;
  if (windows < 2 || !rng->Bernoulli(config.drift_fraction)) return drift;
  drift.window = rng->UniformRange(1, windows - 1);
  const std::vector<int> held = GenresWhere(base, true);
  const std::vector<int> free = GenresWhere(base, false);
  const bool flip = free.empty() || (!held.empty() && rng->Bernoulli(0.5));
  drift.kind = flip ? DriftKind::kFlip : DriftKind::kAppear;
  const std::vector<int>& pool = flip ? held : free;
  drift.genre = pool[rng->UniformInt(static_cast<int>(pool.size()))];
  drift.from_level = base.affinity[drift.genre];
  drift.to_level = flip ? -drift.from_level : DrawLevel(rng);
  return drift;
}

// An unseen catalog item, preferring `pool` (an exposure draw); falls back to the whole catalog.
int DrawItem(const Catalog& catalog, const std::vector<int>* pool, std::vector<char>* seen, KeyedRng* rng) {
  constexpr int kTries = 64;
  for (int t = 0; t < kTries; ++t) {
    const int i = pool ? (*pool)[rng->UniformInt(static_cast<int>(pool->size()))] : rng->UniformInt(catalog.size());
    if (!(*seen)[i]) return i;
  }
  // Nearly exhausted: the first unseen item after a random start, so the draw still terminates.
  const int start = rng->UniformInt(catalog.size());
  for (int k = 0; k < catalog.size(); ++k) {
    const int i = (start + k) % catalog.size();
    if (!(*seen)[i]) return i;
  }
  return -1;  // unreachable: the config guarantees more items than a history needs
}

std::vector<int> DrawWindowItems(const WorldConfig& config, const Catalog& catalog, const Tastes& tastes,
                                 std::vector<char>* seen, KeyedRng* rng) {
  const std::vector<int> taste_genres = GenresWhere(tastes, true);
  std::vector<int> items;
  for (int slot = 0; slot < config.window_length; ++slot) {
    const std::vector<int>* pool = nullptr;
    if (!taste_genres.empty() && rng->Bernoulli(config.taste_exposure)) {
      pool = &catalog.ItemsOfGenre(taste_genres[rng->UniformInt(static_cast<int>(taste_genres.size()))]);
      if (pool->empty()) pool = nullptr;
    }
    const int item = DrawItem(catalog, pool, seen, rng);
    (*seen)[item] = 1;
    items.push_back(item);
  }
  return items;
}

std::string UserId(const std::string& split, int index) {
  char id[32];
  std::snprintf(id, sizeof id, "%s-%05d", split.c_str(), index);
  return id;
}

}  // namespace

SimUser GenerateUser(const WorldConfig& config, const Catalog& catalog, const std::string& split, int index,
                     int windows) {
  const uint64_t user_key = HashKey({config.seed, HashText(split), static_cast<uint64_t>(index)});
  SimUser user;
  user.id = UserId(split, index);
  user.split = split;
  KeyedRng taste_rng({user_key, HashText("tastes")});
  const Tastes base = DrawTastes(config, &taste_rng);
  KeyedRng drift_rng({user_key, HashText("drift")});
  user.drift = DrawDrift(config, base, windows, &drift_rng);
  Tastes drifted = base;
  if (user.drift.kind != DriftKind::kNone) drifted.affinity[user.drift.genre] = user.drift.to_level;

  std::vector<char> seen(catalog.size(), 0);
  for (int k = 0; k < windows; ++k) {
    const Tastes& tastes = k >= user.drift.window && user.drift.window >= 0 ? drifted : base;
    user.tastes.push_back(tastes);
    KeyedRng item_rng({user_key, HashText("items"), static_cast<uint64_t>(k)});
    KeyedRng noise_rng({user_key, HashText("noise"), static_cast<uint64_t>(k)});
    user.items.push_back(DrawWindowItems(config, catalog, tastes, &seen, &item_rng));
    std::vector<int> ratings;
    for (int item : user.items.back()) {
      ratings.push_back(RateItem(tastes, catalog.item(item).genres, config.noise * noise_rng.Normal()));
    }
    user.ratings.push_back(std::move(ratings));
  }
  return user;
}

}  // namespace deeper::world
