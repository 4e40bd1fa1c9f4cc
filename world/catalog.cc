#include "world/catalog.h"

#include <algorithm>

#include "common/error.h"
#include "world/keyed_rng.h"

namespace deeper::world {
namespace {

// Fisher-Yates with the keyed generator: the same order everywhere.
template <typename T>
void Shuffle(std::vector<T>* values, KeyedRng* rng) {
  for (int i = static_cast<int>(values->size()) - 1; i > 0; --i) {
    std::swap((*values)[i], (*values)[rng->UniformInt(i + 1)]);
  }
}

std::vector<CatalogItem> OneGenreNames(const Lexicon& lexicon) {
  std::vector<CatalogItem> names;
  for (int g = 0; g < lexicon.num_genres(); ++g) {
    for (const std::string& style : lexicon.style_words()) {
      for (const std::string& word : lexicon.genre(g).words) {
        for (const std::string& filler : lexicon.filler_words()) names.push_back({style + " " + word + " " + filler, {g}});
      }
    }
  }
  return names;
}

std::vector<CatalogItem> TwoGenreNames(const Lexicon& lexicon) {
  std::vector<CatalogItem> names;
  for (int a = 0; a < lexicon.num_genres(); ++a) {
    for (int b = 0; b < lexicon.num_genres(); ++b) {
      if (a == b) continue;
      for (const std::string& wa : lexicon.genre(a).words) {
        for (const std::string& wb : lexicon.genre(b).words) {
          for (const std::string& filler : lexicon.filler_words()) {
            names.push_back({wa + " " + wb + " " + filler, {std::min(a, b), std::max(a, b)}});
          }
        }
      }
    }
  }
  return names;
}

}  // namespace

Catalog::Catalog(const WorldConfig& config, const Lexicon& lexicon) {
  DEEPER_REQUIRE(config.catalog_size <= MaxCatalogSize(lexicon.num_genres()), "world: catalog_size ",
                 config.catalog_size, " exceeds the ", MaxCatalogSize(lexicon.num_genres()), " names of ",
                 lexicon.num_genres(), " genres");
  const int pairs = static_cast<int>(config.catalog_size * config.two_genre_fraction + 0.5);
  const int singles = config.catalog_size - pairs;
  KeyedRng rng({config.seed, HashText("catalog")});
  std::vector<CatalogItem> one = OneGenreNames(lexicon);
  std::vector<CatalogItem> two = TwoGenreNames(lexicon);
  Shuffle(&one, &rng);
  Shuffle(&two, &rng);
  items_.assign(one.begin(), one.begin() + singles);
  items_.insert(items_.end(), two.begin(), two.begin() + pairs);
  // Mix the two kinds so that catalog order says nothing about an item.
  Shuffle(&items_, &rng);
  by_genre_.assign(lexicon.num_genres(), {});
  for (int i = 0; i < size(); ++i) {
    for (int g : items_[i].genres) by_genre_[g].push_back(i);
  }
}

}  // namespace deeper::world
