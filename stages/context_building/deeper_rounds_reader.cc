#include "stages/context_building/deeper_rounds_reader.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "stages/context_building/html_entities.h"
#include "stages/context_building/source_text.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

struct RoundFile {
  int round;
  std::string path;
};

// K of "test_iteration_K.jsonl", or -1.
int RoundOfFileName(const std::string& name) {
  constexpr std::string_view kPrefix = "test_iteration_";
  constexpr std::string_view kSuffix = ".jsonl";
  const std::string_view n(name);
  if (n.size() <= kPrefix.size() + kSuffix.size() || n.substr(0, kPrefix.size()) != kPrefix ||
      n.substr(n.size() - kSuffix.size()) != kSuffix) {
    return -1;
  }
  const std::string_view digits = n.substr(kPrefix.size(), n.size() - kPrefix.size() - kSuffix.size());
  if (digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string_view::npos) return -1;
  return std::stoi(std::string(digits));
}

std::vector<RoundFile> ListRoundFiles(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    DEEPER_REQUIRE(fs::exists(path, ec), path, ": no such file or directory");
    return {{RoundOfFileName(fs::path(path).filename().string()), path}};
  }
  std::vector<RoundFile> files;
  for (const auto& entry : fs::directory_iterator(path)) {
    const int round = RoundOfFileName(entry.path().filename().string());
    if (round >= 0 && entry.is_regular_file()) files.push_back({round, entry.path().string()});
  }
  DEEPER_REQUIRE(!files.empty(), path, ": no test_iteration_K.jsonl files");
  std::sort(files.begin(), files.end(), [](const RoundFile& a, const RoundFile& b) { return a.round < b.round; });
  return files;
}

// Where a window or a user's metadata was first read, for disagreement messages.
struct Origin {
  std::string file;
  int64_t line = 0;
};

struct MergeState {
  std::vector<UserContext> users;
  std::unordered_map<std::string, size_t> index;     // id -> users[i]
  std::vector<Origin> user_origin;                   // where users[i]'s metadata came from
  std::vector<std::vector<Origin>> window_origin;    // [i][k]: where W_k of users[i] came from
};

std::string StringField(const SourceText& text, int64_t line, const nlohmann::json& record, const char* key) {
  const auto it = record.find(key);
  if (it == record.end()) text.FailAt(line, "missing key '", key, "'");
  if (!it->is_string()) text.FailAt(line, "'", key, "' is not a string");
  return it->get<std::string>();
}

Window ParseWindow(const SourceText& text, int64_t line, const nlohmann::json& record, int k,
                   const ContextReadOptions& options) {
  const std::string items_key = "I" + std::to_string(k);
  const std::string ratings_key = "U" + std::to_string(k);
  const auto items = record.find(items_key);
  const auto ratings = record.find(ratings_key);
  if (items == record.end()) text.FailAt(line, "missing key '", items_key, "'");
  if (ratings == record.end()) text.FailAt(line, "missing key '", ratings_key, "'");
  if (!items->is_array()) text.FailAt(line, "'", items_key, "' is not a list");
  if (!ratings->is_array()) text.FailAt(line, "'", ratings_key, "' is not a list");
  const size_t expected = static_cast<size_t>(options.window_length);
  if (items->size() != expected || ratings->size() != expected) {
    text.FailAt(line, "wrong window length: ", items_key, " has ", items->size(), " items and ", ratings_key, " has ",
                ratings->size(), " ratings, expected ", expected);
  }
  Window window;
  window.integer_ratings = true;
  for (size_t i = 0; i < expected; ++i) {
    const nlohmann::json& name = (*items)[i];
    if (!name.is_string()) text.FailAt(line, items_key, ": item ", i + 1, " is not a string");
    window.items.push_back(name.get<std::string>());
    if (options.unescape_html) UnescapeHtmlInPlace(&window.items.back());
    const nlohmann::json& rating = (*ratings)[i];
    if (!rating.is_number()) text.FailAt(line, ratings_key, ": non-numeric rating ", rating.dump(), " (rating ", i + 1, ")");
    window.ratings.push_back(rating.get<double>());
    window.integer_ratings = window.integer_ratings && rating.is_number_integer();
  }
  return window;
}

// Why two copies of a window differ, or "" when they agree.
std::string WindowDifference(const Window& a, const Window& b) {
  for (size_t i = 0; i < std::min(a.items.size(), b.items.size()); ++i) {
    if (a.items[i] != b.items[i]) return "item " + std::to_string(i + 1) + " '" + a.items[i] + "' vs '" + b.items[i] + "'";
    if (a.ratings[i] != b.ratings[i]) {
      return "rating " + std::to_string(i + 1) + ": " + nlohmann::json(a.ratings[i]).dump() + " vs " +
             nlohmann::json(b.ratings[i]).dump();
    }
  }
  if (a.integer_ratings != b.integer_ratings) return "ratings written as integers in one file and as floats in the other";
  return "";
}

void MergeWindow(MergeState* state, size_t u, int k, Window window, const Origin& origin) {
  UserContext& user = state->users[u];
  std::vector<Origin>& origins = state->window_origin[u];
  if (static_cast<int>(user.windows.size()) <= k) {
    user.windows.resize(k + 1);
    origins.resize(k + 1);
  }
  if (user.windows[k].empty()) {
    user.windows[k] = std::move(window);
    origins[k] = origin;
    return;
  }
  const std::string difference = WindowDifference(user.windows[k], window);
  if (!difference.empty()) {
    Fail("user '", user.id, "': window W", k, " differs between ", origins[k].file, ":", origins[k].line, " and ",
         origin.file, ":", origin.line, " (", difference, ")");
  }
}

void CheckKeys(const SourceText& text, int64_t line, const nlohmann::json& record, int round) {
  static const char* const kMeta[] = {"id", "iteration", "item_type", "split", "dataset_name", "source_url"};
  for (const auto& [key, value] : record.items()) {
    bool known = std::find(std::begin(kMeta), std::end(kMeta), key) != std::end(kMeta);
    for (int k = round - 1; k <= round + 1 && !known; ++k) {
      known = key == "I" + std::to_string(k) || key == "U" + std::to_string(k);
    }
    if (!known) text.FailAt(line, "unknown key '", key, "' in a round ", round, " record");
  }
}

void MergeRecord(MergeState* state, const SourceText& text, int64_t line, const nlohmann::json& record,
                 int file_round, const ContextReadOptions& options) {
  if (!record.is_object()) text.FailAt(line, "expected a JSON object");
  const auto iteration = record.find("iteration");
  if (iteration == record.end()) text.FailAt(line, "missing key 'iteration'");
  if (!iteration->is_number_integer() || iteration->get<int64_t>() < 1 || iteration->get<int64_t>() > 1000000) {
    text.FailAt(line, "'iteration' is not a round number >= 1");
  }
  const int round = iteration->get<int>();
  if (file_round >= 0 && round != file_round) {
    text.FailAt(line, "iteration ", round, " in the file of round ", file_round);
  }
  CheckKeys(text, line, record, round);
  UserContext meta;
  meta.id = StringField(text, line, record, "id");
  meta.item_type = StringField(text, line, record, "item_type");
  meta.split = StringField(text, line, record, "split");
  meta.dataset_name = StringField(text, line, record, "dataset_name");
  meta.source_url = StringField(text, line, record, "source_url");
  if (meta.id.empty()) text.FailAt(line, "empty id");
  std::vector<Window> windows;
  for (int k = round - 1; k <= round + 1; ++k) windows.push_back(ParseWindow(text, line, record, k, options));

  const Origin origin{text.name(), line};
  const auto [it, inserted] = state->index.emplace(meta.id, state->users.size());
  const size_t u = it->second;
  if (inserted) {
    state->users.push_back(std::move(meta));
    state->user_origin.push_back(origin);
    state->window_origin.emplace_back();
  } else {
    const UserContext& known = state->users[u];
    if (known.item_type != meta.item_type || known.split != meta.split || known.dataset_name != meta.dataset_name ||
        known.source_url != meta.source_url) {
      const Origin& first = state->user_origin[u];
      Fail("user '", meta.id, "': item_type/split/dataset_name/source_url differ between ", first.file, ":", first.line,
           " and ", origin.file, ":", origin.line);
    }
  }
  for (int k = round - 1; k <= round + 1; ++k) MergeWindow(state, u, k, std::move(windows[k - (round - 1)]), origin);
}

void ReadRoundFile(MergeState* state, const RoundFile& file, const ContextReadOptions& options) {
  SourceText text = SourceText::Open(file.path);
  text.RequireUtf8();
  const std::string_view all = text.view();
  size_t pos = text.BomLength();
  for (int64_t line = 1; pos < all.size(); ++line) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view content = all.substr(pos, end - pos);
    pos = end + 1;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& e) {
      text.FailAt(line, "broken JSON (", e.what(), ")");
    }
    MergeRecord(state, text, line, record, file.round, options);
  }
}

}  // namespace

std::vector<UserContext> ReadDeeperRounds(const std::string& path, const ContextReadOptions& options) {
  ValidateWindowLength(options.window_length);
  MergeState state;
  for (const RoundFile& file : ListRoundFiles(path)) ReadRoundFile(&state, file, options);
  return std::move(state.users);
}

}  // namespace deeper
