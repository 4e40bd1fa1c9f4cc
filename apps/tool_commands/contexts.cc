// deeper-tool contexts: builds user contexts from the DEEPER release (split CSV or round files) or
// from a raw ratings log, and writes round K in the release's round-file layout.
//   deeper-tool contexts --deeper_csv test_dataset.csv --round 1 --jsonl test_iteration_1.jsonl
//   deeper-tool contexts --deeper_jsonl test_iterations/ --round 5 --jsonl out.jsonl
//   deeper-tool contexts --ratings ratings.csv --items movies.csv
//       --set dataset_name=movielens,item_type=movie --round 1 --jsonl out.jsonl
// Reader options go in --set as key=value pairs (see kSetHelp).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "common/key_values.h"
#include "common/files.h"
#include "stages/context_building/deeper_csv_reader.h"
#include "stages/context_building/deeper_rounds_reader.h"
#include "stages/context_building/ratings_log_reader.h"
#include "stages/context_building/round_writer.h"

namespace deeper {
namespace {

constexpr const char* kSetHelp =
    "--set keys: window_length (10), unescape_html (true), and for --ratings: format, user_column, item_column, "
    "rating_column, time_column (empty: file order), items_format, item_id_column, item_name_column, "
    "min_ratings (50: users need more), max_windows (0: all), dataset_name, item_type, split, source_url";

int ParseInt(const std::string& key, const std::string& value) {
  size_t used = 0;
  int parsed = 0;
  try {
    parsed = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  DEEPER_REQUIRE(used == value.size() && !value.empty(), "--set ", key, "=", value, ": expected an integer");
  return parsed;
}

bool ParseBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  Fail("--set ", key, "=", value, ": expected true or false");
}

// Applies one key=value of --set to the options.
void ApplySetting(const std::string& key, const std::string& value, RatingsLogOptions* o) {
  std::string* text = nullptr;
  if (key == "window_length") {
    o->read.window_length = ParseInt(key, value);
  } else if (key == "unescape_html") {
    o->read.unescape_html = ParseBool(key, value);
  } else if (key == "min_ratings") {
    o->min_ratings = ParseInt(key, value);
  } else if (key == "max_windows") {
    o->max_windows = ParseInt(key, value);
  } else if (key == "format") {
    o->format = ParseTableFormat(value);
  } else if (key == "items_format") {
    o->items.format = ParseTableFormat(value);
  } else if (key == "user_column") {
    text = &o->user_column;
  } else if (key == "item_column") {
    text = &o->item_column;
  } else if (key == "rating_column") {
    text = &o->rating_column;
  } else if (key == "time_column") {
    text = &o->time_column;
  } else if (key == "item_id_column") {
    text = &o->items.id_column;
  } else if (key == "item_name_column") {
    text = &o->items.name_column;
  } else if (key == "dataset_name") {
    text = &o->dataset_name;
  } else if (key == "item_type") {
    text = &o->item_type;
  } else if (key == "split") {
    text = &o->split;
  } else if (key == "source_url") {
    text = &o->source_url;
  } else {
    Fail("--set: unknown key '", key, "'; ", kSetHelp);
  }
  if (text != nullptr) *text = value;
}

RatingsLogOptions ParseSettings(const std::string& settings) {
  RatingsLogOptions options;
  for (const auto& [key, value] : ParseKeyValueList(settings, "--set")) ApplySetting(key, value, &options);
  return options;
}

std::vector<UserContext> ReadInput(const RatingsLogOptions& options) {
  const int sources = !FLAGS_deeper_csv.empty() + !FLAGS_deeper_jsonl.empty() + !FLAGS_ratings.empty();
  DEEPER_REQUIRE(sources == 1, "give exactly one of --deeper_csv, --deeper_jsonl, --ratings");
  DEEPER_REQUIRE(FLAGS_items.empty() || !FLAGS_ratings.empty(), "--items goes with --ratings");
  if (!FLAGS_deeper_csv.empty()) return ReadDeeperCsv(FLAGS_deeper_csv, options.read);
  if (!FLAGS_deeper_jsonl.empty()) return ReadDeeperRounds(FLAGS_deeper_jsonl, options.read);
  RatingsLogStats stats;
  std::vector<UserContext> users = ReadRatingsLog(FLAGS_ratings, FLAGS_items, options, &stats);
  std::cerr << "contexts: " << stats.rows << " ratings of " << stats.users << " users in " << FLAGS_ratings << "\n";
  if (stats.unknown_item_rows > 0) {
    std::cerr << "contexts: warning: " << stats.unknown_item_rows << " rating(s) name items missing from "
              << FLAGS_items << " (first: " << FLAGS_ratings << ":" << stats.first_unknown_item_line
              << "); none fell in a window\n";
  }
  return users;
}

int RunContexts(int argc, char** argv) {
  DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "'");
  DEEPER_REQUIRE(!FLAGS_jsonl.empty(), "--jsonl OUT is required");
  DEEPER_REQUIRE(FLAGS_round >= 1, "--round must be at least 1, got ", FLAGS_round);
  const RatingsLogOptions options = ParseSettings(FLAGS_set);
  const std::vector<UserContext> users = ReadInput(options);
  size_t written = 0;
  const std::string jsonl = FormatRoundJsonl(users, FLAGS_round, &written);
  // An empty round file is almost always a round beyond the data; refuse it rather than write it.
  DEEPER_REQUIRE(written > 0, "no user has windows W", FLAGS_round - 1, "..W", FLAGS_round + 1, " (", users.size(),
                 " users read); nothing written");
  WriteFileAtomic(FLAGS_jsonl, jsonl);
  std::cerr << "contexts: " << users.size() << " users read, " << written << " written to " << FLAGS_jsonl
            << " (round " << FLAGS_round << ")\n";
  return 0;
}

}  // namespace

DEEPER_TOOL_COMMAND("contexts", "user contexts -> round-K JSONL (--deeper_csv | --deeper_jsonl | --ratings)",
                    RunContexts);

}  // namespace deeper
