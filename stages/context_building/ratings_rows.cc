#include "stages/context_building/ratings_rows.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string_view>
#include <thread>

#include "stages/context_building/table_reader.h"

namespace deeper {
namespace {

double ParseRating(const SourceText& text, int64_t line, std::string_view token, bool* integer) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || ptr != token.data() + token.size() || !std::isfinite(value)) {
    text.FailAt(line, "non-numeric rating '", token, "'");
  }
  *integer = token.find_first_of(".eE") == std::string_view::npos;
  return value;
}

int64_t ParseTime(const SourceText& text, int64_t line, std::string_view token) {
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || ptr != token.data() + token.size()) {
    text.FailAt(line, "time '", token, "' is not an integer");
  }
  return value;
}

// A row waiting in a batch: its fields, its line, and the hashes of its ids.
struct PendingRow {
  std::string_view user, item, rating, time;
  int64_t line;
  uint64_t user_hash, item_hash;
};

// Numbers the ids of a batch, whose slots were prefetched, and appends the rows.
void AddRows(const std::vector<PendingRow>& batch, size_t n, const SourceText& text, const ItemTable* table,
             StringIndex* users, StringIndex* items, bool timed, RatingRows* rows) {
  for (size_t i = 0; i < n; ++i) {
    const PendingRow& p = batch[i];
    if (p.user.empty()) text.FailAt(p.line, "empty user id");
    rows->user.push_back(users->Insert(p.user, p.user_hash, nullptr));
    if (table != nullptr) {
      const int64_t item = table->Find(p.item, p.item_hash);
      if (item < 0) rows->unknown.push_back({rows->item.size(), p.line, std::string(p.item)});
      rows->item.push_back(item < 0 ? kUnknownItem : static_cast<uint32_t>(item));
    } else {
      if (p.item.empty()) text.FailAt(p.line, "empty item id");
      rows->item.push_back(items->Insert(p.item, p.item_hash, nullptr));
    }
    bool integer = false;
    rows->rating.push_back(ParseRating(text, p.line, p.rating, &integer));
    rows->integer_ratings = rows->integer_ratings && integer;
    if (timed) rows->time.push_back(ParseTime(text, p.line, p.time));
  }
}

// Rows in the log, estimated from the line length of its first MiB, so that the row arrays are
// allocated once (regrowing them would copy hundreds of MB on large logs).
size_t EstimateRows(const SourceText& text) {
  const std::string_view head = text.view().substr(0, size_t{1} << 20);
  if (head.empty()) return 0;
  const size_t lines = std::max<size_t>(1, std::count(head.begin(), head.end(), '\n'));
  return static_cast<size_t>(static_cast<double>(text.size()) / head.size() * lines * 1.05) + 16;
}

// Reads the rows `reader` yields into *rows. Id lookups miss the cache on large logs; a batch
// of rows has all its slots prefetched before they are used.
void ReadRowsInto(TableReader* reader, const ItemTable* table, bool timed, RatingRows* rows, StringIndex* users,
                  StringIndex* items) {
  const SourceText& text = reader->text();
  std::vector<PendingRow> batch(reader->stable_views() ? 32 : 1);
  std::vector<std::string_view> values;
  while (true) {
    size_t n = 0;
    while (n < batch.size() && reader->Next(&values)) {
      batch[n++] = PendingRow{values[0], values[1], values[2], timed ? values[3] : std::string_view(), reader->line(),
                              0, 0};
    }
    if (n == 0) return;
    // Rows and ids are numbered in 32 bits.
    if (rows->user.size() + n >= kUnknownItem) text.FailAt(batch[n - 1].line, "more than 4294967294 ratings");
    for (size_t i = 0; i < n; ++i) {
      PendingRow& p = batch[i];
      p.user_hash = HashString(p.user);
      p.item_hash = HashString(p.item);
      users->Prefetch(p.user_hash);
      if (table != nullptr) {
        table->Prefetch(p.item_hash);
      } else {
        items->Prefetch(p.item_hash);
      }
    }
    AddRows(batch, n, text, table, users, items, timed, rows);
  }
}

void Reserve(size_t n, bool timed, RatingRows* rows) {
  rows->user.reserve(n);
  rows->item.reserve(n);
  rows->rating.reserve(n);
  if (timed) rows->time.reserve(n);
}

// What the thread reading the second half of a log produces.
struct SecondHalf {
  RatingRows rows;
  StringIndex users, items;
  std::exception_ptr error;
};

// Appends the second half's rows, renumbering its users and items into the first half's numbering.
// Users first seen in the second half get the next numbers in their order there, so the numbering
// is the same as one reader's.
void AppendSecondHalf(const SecondHalf& half, bool has_table, RatingRows* rows, StringIndex* users, StringIndex* items) {
  std::vector<uint32_t> user_number(half.users.size());
  for (uint32_t u = 0; u < half.users.size(); ++u) user_number[u] = users->Insert(half.users.key(u));
  std::vector<uint32_t> item_number(half.items.size());
  for (uint32_t i = 0; i < half.items.size(); ++i) item_number[i] = items->Insert(half.items.key(i));
  const size_t offset = rows->user.size();
  for (uint32_t u : half.rows.user) rows->user.push_back(user_number[u]);
  for (uint32_t i : half.rows.item) rows->item.push_back(has_table || i == kUnknownItem ? i : item_number[i]);
  rows->rating.insert(rows->rating.end(), half.rows.rating.begin(), half.rows.rating.end());
  rows->time.insert(rows->time.end(), half.rows.time.begin(), half.rows.time.end());
  rows->integer_ratings = rows->integer_ratings && half.rows.integer_ratings;
  for (const UnknownItem& unknown : half.rows.unknown) rows->unknown.push_back({unknown.row + offset, unknown.line, unknown.id});
}

// Where the second half starts: after the first newline past the middle, or 0 for one reader.
// Only a log without any '"' is split: then every newline ends a record, and no reader decodes a
// quoted field in place, so the two threads never touch the same bytes.
size_t SplitPoint(const SourceText& text, const TableReader& reader, size_t min_bytes) {
  if (!reader.stable_views() || min_bytes == 0 || text.size() < min_bytes || std::thread::hardware_concurrency() < 2 ||
      text.view().find('"') != std::string_view::npos) {
    return 0;
  }
  const size_t middle = std::max(reader.position(), text.size() / 2);
  const size_t newline = text.view().find('\n', middle);
  return newline == std::string_view::npos || newline + 1 >= text.size() ? 0 : newline + 1;
}

}  // namespace

RatingRows ReadRatingRows(SourceText* text, const RatingsLogOptions& options, const ItemTable* table,
                          StringIndex* users, StringIndex* items) {
  std::vector<std::string> columns = {options.user_column, options.item_column, options.rating_column};
  const bool timed = !options.time_column.empty();
  if (timed) columns.push_back(options.time_column);
  TableReader reader(text, options.format, columns, /*check_utf8=*/false);
  RatingRows rows;
  Reserve(EstimateRows(*text), timed, &rows);
  const size_t split = SplitPoint(*text, reader, options.parallel_min_bytes);
  if (split == 0) {
    text->RequireUtf8();
    ReadRowsInto(&reader, table, timed, &rows, users, items);
    return rows;
  }
  SecondHalf second;
  // Made here, not in the thread: it copies the header layout from `reader`, which this thread uses.
  TableReader tail(reader, split, text->LineAt(split));
  std::thread worker([&] {
    try {
      text->RequireUtf8(split, text->size());
      Reserve(EstimateRows(*text) / 2, timed, &second.rows);
      ReadRowsInto(&tail, table, timed, &second.rows, &second.users, &second.items);
    } catch (...) {
      second.error = std::current_exception();
    }
  });
  try {
    text->RequireUtf8(0, split);
    reader.set_limit(split);
    ReadRowsInto(&reader, table, timed, &rows, users, items);
  } catch (...) {
    worker.join();
    throw;  // The first half's error comes first in the file.
  }
  worker.join();
  DEEPER_REQUIRE(reader.position() == split, text->name(), ": internal error: the halves of the log do not meet");
  if (second.error) std::rethrow_exception(second.error);
  AppendSecondHalf(second, table != nullptr, &rows, users, items);
  return rows;
}

}  // namespace deeper
