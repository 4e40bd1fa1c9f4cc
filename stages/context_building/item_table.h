// The item table of a raw ratings log: item id -> display name (MovieLens movies.csv: movieId,title).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/context_building/string_index.h"
#include "stages/context_building/table_reader.h"

namespace deeper {

struct ItemTableOptions {
  TableFormat format = TableFormat::kAuto;
  std::string id_column = "movieId";
  std::string name_column = "title";
  bool unescape_html = true;
};

class ItemTable {
 public:
  // Throws "FILE:LINE: reason" for a bad row, an unknown column or an id listed twice.
  static ItemTable Read(const std::string& path, const ItemTableOptions& options = {});

  // Index of an item id, or -1 when the table does not list it.
  int64_t Find(std::string_view id) const { return ids_.Find(id); }
  // Batched lookups (see StringIndex): `hash` is HashString(id).
  int64_t Find(std::string_view id, uint64_t hash) const { return ids_.Find(id, hash); }
  void Prefetch(uint64_t hash) const { ids_.Prefetch(hash); }
  std::string_view name(uint32_t index) const {
    return {names_.data() + name_begin_[index], name_begin_[index + 1] - name_begin_[index]};
  }
  size_t size() const { return name_begin_.size() - 1; }
  // Building windows looks names up in random order; prefetching hides the two cache misses of a
  // lookup: PrefetchBounds a few items ahead, PrefetchName (which reads the bounds) nearer.
  void PrefetchBounds(uint32_t index) const { __builtin_prefetch(&name_begin_[index]); }
  void PrefetchName(uint32_t index) const { __builtin_prefetch(names_.data() + name_begin_[index]); }

 private:
  StringIndex ids_;
  std::string names_;                    // All names back to back.
  std::vector<uint64_t> name_begin_{0};  // Name i is names_[name_begin_[i], name_begin_[i + 1]).
};

}  // namespace deeper
