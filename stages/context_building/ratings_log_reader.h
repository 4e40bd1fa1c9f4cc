// Contexts from a raw ratings log (one rating per row: user, item, rating, time), as the release
// built them: each user's ratings sorted by time and cut into windows of `window_length` items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "stages/context_building/item_table.h"
#include "stages/context_building/read_options.h"
#include "stages/context_building/table_reader.h"
#include "stages/context_building/user_context.h"

namespace deeper {

// Defaults fit MovieLens (ratings.csv: userId,movieId,rating,timestamp; movies.csv: movieId,title).
struct RatingsLogOptions {
  ContextReadOptions read;  // window_length, unescape_html (applied to the item table's names)
  TableFormat format = TableFormat::kAuto;
  std::string user_column = "userId";
  std::string item_column = "movieId";
  std::string rating_column = "rating";
  // Integer times (seconds, milliseconds, ...); empty: the log is already in time order.
  std::string time_column = "timestamp";
  ItemTableOptions items;
  // Only users with MORE than this many ratings are kept (the release: more than 50).
  int min_ratings = 50;
  // At most this many windows per user, the earliest ones (0: every full window).
  int max_windows = 0;
  std::string dataset_name = "ratings";
  std::string item_type = "item";
  std::string split = "eval";
  std::string source_url;
  // A log at least this large is turned into windows by two threads, and parsed by two threads when
  // it is CSV or TSV without quotes; 0: one thread.
  size_t parallel_min_bytes = size_t{64} << 20;
};

// What the reader saw besides the contexts it returns.
struct RatingsLogStats {
  size_t rows = 0;   // Ratings in the log.
  size_t users = 0;  // Distinct users in the log.
  // Rows naming an item the item table lacks. Such a row is only refused when it falls in a window
  // (its name is needed); rows of dropped users or of a dropped partial window are counted here.
  size_t unknown_item_rows = 0;
  int64_t first_unknown_item_line = 0;
};

// Reads the log and returns one context per kept user, in order of the user's first row in the log.
// A user's ratings are ordered by time, ties kept in log order; the trailing partial window is
// dropped. Item names come from the table at `items_path`; when it is empty the item id is the name.
// Ratings are written back as ints when every rating in the log is an integer (as pandas infers
// the column type). Throws "FILE:LINE: reason" for a bad row (wrong number of fields, unknown
// column, non-numeric rating, non-integer time, invalid UTF-8, an item in a window that the item
// table lacks).
std::vector<UserContext> ReadRatingsLog(const std::string& ratings_path, const std::string& items_path,
                                        const RatingsLogOptions& options = {}, RatingsLogStats* stats = nullptr);

}  // namespace deeper
