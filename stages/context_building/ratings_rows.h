// A raw ratings log reduced to numbers: one entry per row, users and items numbered. The first
// step of ReadRatingsLog, kept apart because it is where the time goes on large logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stages/context_building/item_table.h"
#include "stages/context_building/ratings_log_reader.h"
#include "stages/context_building/source_text.h"
#include "stages/context_building/string_index.h"

namespace deeper {

// The item of a row whose item id the table lacks.
constexpr uint32_t kUnknownItem = UINT32_MAX;

// A row whose item the table lacks: refused only if it lands in a window.
struct UnknownItem {
  size_t row;
  int64_t line;
  std::string id;
};

// Struct of arrays: cheaper to scan and group than one struct per row.
struct RatingRows {
  std::vector<uint32_t> user;  // Index in the users StringIndex.
  std::vector<uint32_t> item;  // Index in the item table (or the items StringIndex); kUnknownItem.
  std::vector<double> rating;
  std::vector<int64_t> time;   // Empty when the options name no time column.
  bool integer_ratings = true;       // Every rating was written as an integer.
  std::vector<UnknownItem> unknown;  // By increasing row.
};

// Reads every row of `text`. Users (and, without a table, items) are numbered in order of first
// appearance. A CSV or TSV log of at least options.parallel_min_bytes without quotes is read by two
// threads, one per half; the result is the same as one thread's. Throws "FILE:LINE: reason" for a
// bad row (the first half's error when both halves have one).
RatingRows ReadRatingRows(SourceText* text, const RatingsLogOptions& options, const ItemTable* table,
                          StringIndex* users, StringIndex* items);

}  // namespace deeper
