// The in-memory form of a user's behaviour history: consecutive windows of rated items.
// Every reader (DEEPER split CSV, DEEPER round files, raw ratings logs) produces this, and the round
// writer and the pipeline's sharding stage consume it.
#pragma once

#include <string>
#include <vector>

namespace deeper {

// One window W_k: `items[i]` was rated `ratings[i]`, in time order.
struct Window {
  std::vector<std::string> items;
  std::vector<double> ratings;
  // The source wrote these ratings as integers (`5`, not `5.0`). Kept so that a window written back
  // as JSON matches the release byte for byte (Python writes ints and floats differently).
  bool integer_ratings = false;

  // A window that a reader found no data for (a gap between windows from the round files).
  bool empty() const { return items.empty(); }
};

struct UserContext {
  std::string id;
  std::string item_type;     // The word used in prompts: recipe, book, movie, ...
  std::string split;         // train or eval.
  std::string dataset_name;  // The domain, e.g. food_com.
  std::string source_url;
  // windows[k] is W_k. A gap (a window no input provided) is an empty Window.
  std::vector<Window> windows;
};

// The window length of the DEEPER release.
constexpr int kDefaultWindowLength = 10;

// Throws deeper::Error unless `length` is a usable window length (1..kMaxWindowLength).
constexpr int kMaxWindowLength = 10000;
void ValidateWindowLength(int length);

// True when `user` has non-empty windows first..last (inclusive).
bool HasWindows(const UserContext& user, int first, int last);

}  // namespace deeper
