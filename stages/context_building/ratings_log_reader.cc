#include "stages/context_building/ratings_log_reader.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <numeric>
#include <optional>
#include <thread>

#include "stages/context_building/ratings_rows.h"
#include "stages/context_building/string_index.h"

namespace deeper {
namespace {

// One rating, as sorted and cut into windows.
struct Rated {
  int64_t time;
  double rating;
  uint32_t item;
  uint32_t row;  // Position in the log: breaks ties in time, and finds the line of an unknown item.
};

// The ratings of kept users (more than min_ratings), grouped by user (users in index order), each
// group in log order. Copying the rows into place once makes the sorting and window cutting that
// follow sequential in memory.
struct UserGroups {
  std::vector<Rated> rated;
  std::vector<size_t> begin;  // Group of user u: rated[begin[u], begin[u + 1]).
};

UserGroups GroupByUser(const RatingRows& rows, size_t user_count, uint64_t min_ratings) {
  std::vector<size_t> count(user_count + 1, 0);
  for (uint32_t u : rows.user) ++count[u];
  for (size_t u = 0; u < user_count; ++u) {
    if (count[u] <= min_ratings) count[u] = 0;  // Dropped users get empty groups.
  }
  UserGroups groups;
  groups.begin.assign(user_count + 1, 0);
  std::partial_sum(count.begin(), count.end() - 1, groups.begin.begin() + 1);
  groups.rated.resize(groups.begin[user_count]);
  std::vector<size_t> next(groups.begin.begin(), groups.begin.end() - 1);
  const bool timed = !rows.time.empty();
  for (size_t r = 0; r < rows.user.size(); ++r) {
    const uint32_t u = rows.user[r];
    if (count[u] == 0) continue;
    groups.rated[next[u]++] = Rated{timed ? rows.time[r] : 0, rows.rating[r], rows.item[r], static_cast<uint32_t>(r)};
  }
  return groups;
}

// Time order; ties keep log order (the row), so the result equals a stable sort by time.
void SortByTime(std::vector<Rated>::iterator first, std::vector<Rated>::iterator last) {
  const auto earlier = [](const Rated& a, const Rated& b) { return a.time < b.time || (a.time == b.time && a.row < b.row); };
  if (!std::is_sorted(first, last, earlier)) std::sort(first, last, earlier);
}

std::string_view ItemName(const RatingRows& rows, const Rated& rated, const ItemTable* table, const StringIndex& items,
                          const SourceText& text) {
  if (rated.item == kUnknownItem) {
    const auto it = std::lower_bound(rows.unknown.begin(), rows.unknown.end(), size_t{rated.row},
                                     [](const UnknownItem& u, size_t row) { return u.row < row; });
    text.FailAt(it->line, "item '", it->id, "' is not in the item table");
  }
  return table != nullptr ? table->name(rated.item) : items.key(rated.item);
}

// Prefetches the name of the item `ahead` ratings later (see ItemTable::PrefetchBounds).
void PrefetchItemName(const std::vector<Rated>& rated, size_t at, const ItemTable* table) {
  constexpr size_t kBoundsAhead = 16, kNameAhead = 8;
  if (table == nullptr) return;
  if (at + kBoundsAhead < rated.size() && rated[at + kBoundsAhead].item != kUnknownItem) {
    table->PrefetchBounds(rated[at + kBoundsAhead].item);
  }
  if (at + kNameAhead < rated.size() && rated[at + kNameAhead].item != kUnknownItem) {
    table->PrefetchName(rated[at + kNameAhead].item);
  }
}

// Everything needed to turn grouped ratings into windows.
struct WindowSource {
  const RatingRows& rows;
  const UserGroups& groups;
  const ItemTable* table;
  const StringIndex& items;
  const SourceText& text;
};

// Cuts the first `windows` windows of `length` ratings from a user's time-ordered group at `begin`.
void FillWindows(const WindowSource& source, size_t begin, size_t windows, size_t length, UserContext* context) {
  context->windows.resize(windows);
  for (size_t w = 0; w < windows; ++w) {
    Window& window = context->windows[w];
    window.integer_ratings = source.rows.integer_ratings;
    window.items.reserve(length);
    window.ratings.reserve(length);
    const size_t first = begin + w * length;
    for (size_t at = first; at < first + length; ++at) {
      const Rated& rated = source.groups.rated[at];
      PrefetchItemName(source.groups.rated, at, source.table);
      window.items.emplace_back(ItemName(source.rows, rated, source.table, source.items, source.text));
      window.ratings.push_back(rated.rating);
    }
  }
}

// A user with at least one full window: their number and how many windows they get.
struct KeptUser {
  uint32_t user;
  size_t windows;
};

std::vector<KeptUser> KeptUsers(const UserGroups& groups, size_t length, int max_windows) {
  std::vector<KeptUser> kept;
  for (size_t u = 0; u + 1 < groups.begin.size(); ++u) {
    size_t windows = (groups.begin[u + 1] - groups.begin[u]) / length;
    if (max_windows > 0) windows = std::min(windows, static_cast<size_t>(max_windows));
    if (windows > 0) kept.push_back({static_cast<uint32_t>(u), windows});
  }
  return kept;
}

// Runs build(0, split) here and build(split, n) on a second thread; the first range's error wins,
// as it would in one pass over the users in order.
template <typename Build>
void BuildInTwo(size_t n, size_t split, const Build& build) {
  std::exception_ptr second_error;
  std::thread worker([&] {
    try {
      build(split, n);
    } catch (...) {
      second_error = std::current_exception();
    }
  });
  try {
    build(0, split);
  } catch (...) {
    worker.join();
    throw;
  }
  worker.join();
  if (second_error) std::rethrow_exception(second_error);
}

// The index in `kept` that halves the number of windows, so both threads get as much work.
size_t HalfOfTheWindows(const std::vector<KeptUser>& kept) {
  size_t total = 0;
  for (const KeptUser& k : kept) total += k.windows;
  size_t sum = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (2 * sum >= total) return i;
    sum += kept[i].windows;
  }
  return kept.size();
}

}  // namespace

std::vector<UserContext> ReadRatingsLog(const std::string& ratings_path, const std::string& items_path,
                                        const RatingsLogOptions& options, RatingsLogStats* stats) {
  ValidateWindowLength(options.read.window_length);
  DEEPER_REQUIRE(options.min_ratings >= 0, "min_ratings must be >= 0, got ", options.min_ratings);
  DEEPER_REQUIRE(options.max_windows >= 0, "max_windows must be >= 0 (0: no limit), got ", options.max_windows);
  std::optional<ItemTable> table;
  if (!items_path.empty()) {
    ItemTableOptions item_options = options.items;
    item_options.unescape_html = options.read.unescape_html;
    table = ItemTable::Read(items_path, item_options);
  }
  const ItemTable* table_ptr = table ? &*table : nullptr;
  StringIndex users, items;
  SourceText text = SourceText::Open(ratings_path);
  const RatingRows rows = ReadRatingRows(&text, options, table_ptr, &users, &items);
  if (stats != nullptr) {
    stats->rows = rows.user.size();
    stats->users = users.size();
    stats->unknown_item_rows = rows.unknown.size();
    stats->first_unknown_item_line = rows.unknown.empty() ? 0 : rows.unknown.front().line;
  }
  UserGroups groups = GroupByUser(rows, users.size(), static_cast<uint64_t>(options.min_ratings));
  const WindowSource source{rows, groups, table_ptr, items, text};
  const size_t length = static_cast<size_t>(options.read.window_length);
  const std::vector<KeptUser> kept = KeptUsers(groups, length, options.max_windows);

  // Users are independent: each fills its own slot, so the work splits across threads freely.
  std::vector<UserContext> contexts(kept.size());
  const auto build = [&](size_t first, size_t last) {
    for (size_t i = first; i < last; ++i) {
      const size_t begin = groups.begin[kept[i].user];
      const size_t end = groups.begin[kept[i].user + 1];
      SortByTime(groups.rated.begin() + begin, groups.rated.begin() + end);
      UserContext& context = contexts[i];
      context.id = users.key(kept[i].user);
      context.item_type = options.item_type;
      context.split = options.split;
      context.dataset_name = options.dataset_name;
      context.source_url = options.source_url;
      FillWindows(source, begin, kept[i].windows, length, &context);
    }
  };
  const bool large = options.parallel_min_bytes > 0 && text.size() >= options.parallel_min_bytes &&
                     std::thread::hardware_concurrency() >= 2;
  if (large) {
    BuildInTwo(kept.size(), HalfOfTheWindows(kept), build);
  } else {
    build(0, kept.size());
  }
  return contexts;
}

}  // namespace deeper
