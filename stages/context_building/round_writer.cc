#include "stages/context_building/round_writer.h"

#include "common/error.h"
#include "stages/context_building/json_text.h"

namespace deeper {
namespace {

void AppendKey(const char* key, std::string* out) {
  out->append(", \"");
  out->append(key);
  out->append("\": ");
}

void AppendWindowKey(char kind, int window, std::string* out) {
  out->append(", \"");
  out->push_back(kind);
  out->append(std::to_string(window));
  out->append("\": ");
}

void AppendRatings(const Window& window, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < window.ratings.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendJsonNumber(window.ratings[i], window.integer_ratings, out);
  }
  out->push_back(']');
}

void AppendItems(const Window& window, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < window.items.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendJsonString(window.items[i], out);
  }
  out->push_back(']');
}

}  // namespace

bool AppendRoundLine(const UserContext& user, int round, std::string* out) {
  DEEPER_REQUIRE(round >= 1, "round must be at least 1, got ", round);
  if (!HasWindows(user, round - 1, round + 1)) return false;
  out->append("{\"id\": ");
  AppendJsonString(user.id, out);
  AppendKey("iteration", out);
  out->append(std::to_string(round));
  AppendKey("item_type", out);
  AppendJsonString(user.item_type, out);
  AppendKey("split", out);
  AppendJsonString(user.split, out);
  AppendKey("dataset_name", out);
  AppendJsonString(user.dataset_name, out);
  AppendKey("source_url", out);
  AppendJsonString(user.source_url, out);
  // The release lists all rating windows before all item windows.
  for (int k = round - 1; k <= round + 1; ++k) {
    AppendWindowKey('U', k, out);
    AppendRatings(user.windows[k], out);
  }
  for (int k = round - 1; k <= round + 1; ++k) {
    AppendWindowKey('I', k, out);
    AppendItems(user.windows[k], out);
  }
  out->append("}\r\n");
  return true;
}

std::string FormatRoundJsonl(const std::vector<UserContext>& users, int round, size_t* written) {
  DEEPER_REQUIRE(round >= 1, "round must be at least 1, got ", round);
  std::string out;
  size_t lines = 0;
  for (const UserContext& user : users) {
    if (AppendRoundLine(user, round, &out)) ++lines;
  }
  if (written != nullptr) *written = lines;
  return out;
}

}  // namespace deeper
