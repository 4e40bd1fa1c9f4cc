// The world's items: names of three words, at least one of them a genre word. An item's genres are
// exactly the genres its words name, so anyone holding the lexicon can recover them from the name.
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"
#include "world/world_config.h"

namespace deeper::world {

struct CatalogItem {
  std::string name;
  std::vector<int> genres;  // ascending, 1 or 2 genres
};

class Catalog {
 public:
  // config.catalog_size distinct items, a two_genre_fraction share of them with two genres, drawn
  // from the seed's "catalog" stream.
  Catalog(const WorldConfig& config, const Lexicon& lexicon);

  int size() const { return static_cast<int>(items_.size()); }
  const CatalogItem& item(int i) const { return items_.at(i); }
  // Indices of the items that carry genre g.
  const std::vector<int>& ItemsOfGenre(int g) const { return by_genre_.at(g); }

 private:
  std::vector<CatalogItem> items_;
  std::vector<std::vector<int>> by_genre_;
};

}  // namespace deeper::world
