// The truth file: per user, the true bias and tastes of every window, the drift, and the persona
// that states the truth. One JSON object per line:
//   {"id": "eval-00003", "split": "eval", "drift": {"kind": "flip", "window": 2, "genre": "horror",
//    "from": 2, "to": -2}, "windows": [{"bias": 1, "tastes": {"comedy": 2, "horror": 2}}, ...],
//    "personas": ["generous rater . loves comedy . loves horror .", ...]}
// Genres are named, so the file stays readable and does not depend on genre numbering.
#pragma once

#include <string>
#include <vector>

#include "world/lexicon.h"
#include "world/tastes.h"
#include "world/world.h"

namespace deeper::world {

struct UserTruth {
  std::string id;
  std::string split;
  std::vector<Tastes> tastes;  // per window
  Drift drift;
};

std::string FormatTruthJsonl(const SimWorld& world, const std::vector<SimUser>& users);

// Reads a truth file; deeper::Error "PATH:LINE: reason" for a bad line (unknown genre, level out of
// range, missing key). The personas are not read back: they follow from the tastes.
std::vector<UserTruth> ParseTruthJsonl(const std::string& text, const Lexicon& lexicon, const std::string& path);
std::vector<UserTruth> ReadTruthJsonl(const std::string& path, const Lexicon& lexicon);

}  // namespace deeper::world
