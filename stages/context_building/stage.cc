#include "stages/context_building/stage.h"

#include <cstdint>
#include <map>

#include "common/error.h"
#include "stages/context_building/deeper_csv_reader.h"
#include "stages/context_building/deeper_rounds_reader.h"
#include "stages/context_building/read_options.h"
#include "stages/context_building/ratings_source.h"

namespace deeper {
namespace {

constexpr char kSection[] = "context_building";

std::string Required(const YAML::Node& source, const char* key, size_t index) {
  DEEPER_REQUIRE(source[key] && source[key].IsScalar(), "context_building.sources[", index, "]: missing '", key, "'");
  return source[key].as<std::string>();
}

ContextReadOptions ReadOptionsOf(const Config& config) {
  ContextReadOptions options;
  options.window_length = config.Get<int>(std::string(kSection) + ".window_length");
  options.unescape_html = config.Get<bool>(std::string(kSection) + ".unescape_html");
  ValidateWindowLength(options.window_length);
  return options;
}

std::vector<UserContext> ReadSource(const YAML::Node& source, size_t index, const ContextReadOptions& options) {
  DEEPER_REQUIRE(source.IsMap(), "context_building.sources[", index, "]: expected a map with 'format' and 'path'");
  const std::string format = Required(source, "format", index);
  const std::string path = Required(source, "path", index);
  if (format == "deeper_csv") return ReadDeeperCsv(path, options);
  if (format == "deeper_jsonl") return ReadDeeperRounds(path, options);
  if (format == "ratings") return ReadRatingsSource(source, index, options);
  Fail("context_building.sources[", index, "]: unknown format '", format,
       "' (expected deeper_csv, deeper_jsonl or ratings)");
}

// A user's windows must be W0..W(n-1) without gaps: later stages index windows by position.
int CountLeadingWindows(const UserContext& user, const std::string& where) {
  int n = 0;
  while (n < static_cast<int>(user.windows.size()) && !user.windows[static_cast<size_t>(n)].empty()) ++n;
  for (size_t k = static_cast<size_t>(n); k < user.windows.size(); ++k) {
    DEEPER_REQUIRE(user.windows[k].empty(), where, ": user ", user.id, " has window ", k, " but not window ", n);
  }
  return n;
}

uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

class ContextBuildingStage : public Stage {
 public:
  std::string Name() const override { return kSection; }
  std::string Description() const override {
    return "behaviour windows per user from DEEPER CSV/JSONL or raw ratings logs";
  }
  std::vector<std::string> ConfigKeys() const override { return {kSection}; }
  std::vector<std::string> ExternalInputs(const Config& config) const override {
    std::vector<std::string> paths;
    for (const auto& source : config.At(std::string(kSection) + ".sources")) {
      for (const char* key : {"path", "items"}) {
        if (source.IsMap() && source[key]) paths.push_back(source[key].as<std::string>());
      }
    }
    return paths;
  }

 protected:
  void Prepare(StageContext& context) override {
    window_length_ = context.config.Get<int>(std::string(kSection) + ".window_length");
    by_shard_.clear();
    for (auto& user : ReadConfiguredSources(context.config)) {
      by_shard_[ShardOfUser(user, context.num_shards)].push_back(std::move(user));
    }
  }

  void RunShard(StageContext& context, int shard) override {
    UsersToShard(by_shard_[shard], window_length_).Commit(context.ShardPath(shard));
  }

 private:
  int window_length_ = 0;
  std::map<int, std::vector<UserContext>> by_shard_;
};

}  // namespace

std::unique_ptr<Stage> MakeContextBuildingStage() { return std::make_unique<ContextBuildingStage>(); }

std::vector<UserContext> ReadConfiguredSources(const Config& config) {
  const auto options = ReadOptionsOf(config);
  const YAML::Node sources = config.At(std::string(kSection) + ".sources");
  DEEPER_REQUIRE(sources.IsSequence() && sources.size() > 0, config.source(),
                 ": context_building.sources lists no input (see configs/defaults.yaml)");
  std::vector<UserContext> users;
  std::map<std::string, size_t> first_source;  // dataset/id -> source index
  for (size_t i = 0; i < sources.size(); ++i) {
    for (auto& user : ReadSource(sources[i], i, options)) {
      const std::string key = user.dataset_name + "/" + user.id;
      auto [it, inserted] = first_source.emplace(key, i);
      DEEPER_REQUIRE(inserted, "context_building.sources[", i, "]: user ", key, " already came from sources[",
                     it->second, "]");
      users.push_back(std::move(user));
    }
  }
  return users;
}

int ShardOfUser(const UserContext& user, int num_shards) {
  return static_cast<int>(Fnv1a(user.dataset_name + "/" + user.id) % static_cast<uint64_t>(num_shards));
}

ShardWriter UsersToShard(const std::vector<UserContext>& users, int window_length) {
  StringColumn id, item_type, split, dataset_name, source_url;
  Int64Column num_windows, integer_ratings;
  RaggedStringColumn items;
  RaggedFloat64Column ratings;
  for (const auto& user : users) {
    const int n = CountLeadingWindows(user, "context_building");
    id.push_back(user.id);
    item_type.push_back(user.item_type);
    split.push_back(user.split);
    dataset_name.push_back(user.dataset_name);
    source_url.push_back(user.source_url);
    num_windows.push_back(n);
    std::vector<std::string> user_items;
    std::vector<double> user_ratings;
    bool all_integer = true;
    for (int k = 0; k < n; ++k) {
      const Window& window = user.windows[static_cast<size_t>(k)];
      user_items.insert(user_items.end(), window.items.begin(), window.items.end());
      user_ratings.insert(user_ratings.end(), window.ratings.begin(), window.ratings.end());
      all_integer = all_integer && window.integer_ratings;
    }
    integer_ratings.push_back(all_integer ? 1 : 0);
    items.push_back(std::move(user_items));
    ratings.push_back(std::move(user_ratings));
  }
  ShardWriter writer;
  writer.Add("id", std::move(id));
  writer.Add("item_type", std::move(item_type));
  writer.Add("split", std::move(split));
  writer.Add("dataset_name", std::move(dataset_name));
  writer.Add("source_url", std::move(source_url));
  writer.Add("num_windows", std::move(num_windows));
  writer.Add("integer_ratings", std::move(integer_ratings));
  writer.Add("items", std::move(items));
  writer.Add("ratings", std::move(ratings));
  writer.SetAttribute("window_length", static_cast<int64_t>(window_length));
  return writer;
}

std::vector<UserContext> UsersFromShard(const ShardReader& shard) {
  const auto id = shard.Strings("id");
  const auto item_type = shard.Strings("item_type");
  const auto split = shard.Strings("split");
  const auto dataset_name = shard.Strings("dataset_name");
  const auto source_url = shard.Strings("source_url");
  const auto num_windows = shard.Int64("num_windows");
  const auto integer_ratings = shard.Int64("integer_ratings");
  const auto items = shard.RaggedStrings("items");
  const auto ratings = shard.RaggedFloat64("ratings");
  const int64_t length = shard.IntAttribute("window_length");
  std::vector<UserContext> users(static_cast<size_t>(shard.rows()));
  for (size_t u = 0; u < users.size(); ++u) {
    UserContext& user = users[u];
    user.id = id[u];
    user.item_type = item_type[u];
    user.split = split[u];
    user.dataset_name = dataset_name[u];
    user.source_url = source_url[u];
    DEEPER_REQUIRE(static_cast<int64_t>(items[u].size()) == num_windows[u] * length &&
                       items[u].size() == ratings[u].size(),
                   shard.path(), ": row ", u, " (user ", user.id, "): items and ratings do not fill ", num_windows[u],
                   " windows of ", length);
    for (int64_t k = 0; k < num_windows[u]; ++k) {
      Window window;
      window.items.assign(items[u].begin() + k * length, items[u].begin() + (k + 1) * length);
      window.ratings.assign(ratings[u].begin() + k * length, ratings[u].begin() + (k + 1) * length);
      window.integer_ratings = integer_ratings[u] != 0;
      user.windows.push_back(std::move(window));
    }
  }
  return users;
}

}  // namespace deeper
