#include "stages/context_building/ratings_source.h"

#include <set>

#include "common/error.h"
#include "stages/context_building/ratings_log_reader.h"

namespace deeper {
namespace {

template <typename T>
void Take(const YAML::Node& source, const char* key, size_t index, T* value) {
  if (!source[key]) return;
  try {
    *value = source[key].as<T>();
  } catch (const YAML::Exception&) {
    Fail("context_building.sources[", index, "].", key, ": value of the wrong type");
  }
}

}  // namespace

std::vector<UserContext> ReadRatingsSource(const YAML::Node& source, size_t index, const ContextReadOptions& read) {
  static const std::set<std::string> kKeys = {
      "format", "path", "items", "table_format", "user_column", "item_column", "rating_column",
      "timestamp_column", "item_id_column", "item_name_column", "min_ratings", "max_windows",
      "dataset_name", "item_type", "split", "source_url"};
  for (const auto& entry : source) {
    const std::string key = entry.first.as<std::string>();
    DEEPER_REQUIRE(kKeys.count(key), "context_building.sources[", index, "]: unknown key '", key,
                   "' for format ratings");
  }
  RatingsLogOptions options;
  options.read = read;
  options.items.unescape_html = read.unescape_html;
  std::string table_format = "auto", path, items;
  Take(source, "path", index, &path);
  Take(source, "items", index, &items);
  Take(source, "table_format", index, &table_format);
  Take(source, "user_column", index, &options.user_column);
  Take(source, "item_column", index, &options.item_column);
  Take(source, "rating_column", index, &options.rating_column);
  Take(source, "timestamp_column", index, &options.time_column);
  Take(source, "item_id_column", index, &options.items.id_column);
  Take(source, "item_name_column", index, &options.items.name_column);
  Take(source, "min_ratings", index, &options.min_ratings);
  Take(source, "max_windows", index, &options.max_windows);
  Take(source, "dataset_name", index, &options.dataset_name);
  Take(source, "item_type", index, &options.item_type);
  Take(source, "split", index, &options.split);
  Take(source, "source_url", index, &options.source_url);
  options.format = ParseTableFormat(table_format);
  return ReadRatingsLog(path, items, options);
}

}  // namespace deeper
