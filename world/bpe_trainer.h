// A byte-level BPE trainer for the world's small text: it merges until every training piece is a
// single token, so each world word (alone and after a space) encodes to exactly one id.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deeper::world {

// GPT-2's byte-level alphabet: each byte shown as one printable code point (bytes 33-126, 161-172
// and 174-255 as themselves, the other 68 in order as U+0100...). Returns UTF-8.
std::string ByteLevelText(std::string_view bytes);

struct BpeModel {
  std::vector<std::string> tokens;                         // byte-level text; id = index
  std::vector<std::pair<std::string, std::string>> merges;  // rank = index
};

// Starts from the 256 byte tokens (in GPT-2's id order) and repeatedly merges the most frequent
// adjacent pair over `pieces` (raw UTF-8 pre-tokens; duplicates count twice), ties broken by the
// pair's text, until no piece has two symbols left. Deterministic.
BpeModel TrainByteLevelBpe(const std::vector<std::string>& pieces);

// Applies a model's merges by rank, lowest first, as a BPE encoder does (without ignore_merges):
// the check that training left every piece in one token.
class BpeMerger {
 public:
  explicit BpeMerger(const BpeModel& model);
  // The token texts of one piece.
  std::vector<std::string> Apply(std::string_view piece) const;

 private:
  std::vector<std::pair<std::string, std::string>> merges_;
  std::map<std::pair<std::string, std::string>, size_t> rank_;
};

}  // namespace deeper::world
