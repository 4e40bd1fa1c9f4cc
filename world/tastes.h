// A user's latent tastes in the simulated world, and the same shape for what a persona states.
#pragma once

#include <string>
#include <vector>

namespace deeper::world {

struct Tastes {
  int bias = 0;                // rater bias, -1..+1 (harsh, fair, generous)
  std::vector<int> affinity;   // per genre, -2..+2; 0 = no taste

  Tastes() = default;
  explicit Tastes(int genres) : affinity(genres, 0) {}

  int num_genres() const { return static_cast<int>(affinity.size()); }
  // Genres with a non-zero affinity.
  int CountTastes() const;
  bool operator==(const Tastes& other) const { return bias == other.bias && affinity == other.affinity; }
  bool operator!=(const Tastes& other) const { return !(*this == other); }
};

// How a user's tastes change once (see WorldConfig::drift_fraction).
enum class DriftKind { kNone, kFlip, kAppear };

struct Drift {
  DriftKind kind = DriftKind::kNone;
  int window = -1;  // first window with the new tastes; -1 when there is no drift
  int genre = -1;
  int from_level = 0;
  int to_level = 0;
};

std::string DriftKindName(DriftKind kind);  // "none", "flip", "appear"
// Throws deeper::Error for another name.
DriftKind ParseDriftKind(const std::string& name);

}  // namespace deeper::world
