#include "world/bpe_trainer.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <unordered_map>

#include "common/error.h"

namespace deeper::world {
namespace {

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool SelfMapped(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); }

// Code point of each byte, and the GPT-2 id order of the bytes (self-mapped ones first).
struct ByteAlphabet {
  char32_t code_point[256];
  std::vector<int> order;
  ByteAlphabet() {
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      if (SelfMapped(b)) order.push_back(b);
    }
    for (int b = 0; b < 256; ++b) {
      code_point[b] = SelfMapped(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(0x100 + next++);
      if (!SelfMapped(b)) order.push_back(b);
    }
  }
};

const ByteAlphabet& Alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

std::vector<std::string> ByteSymbols(std::string_view piece) {
  std::vector<std::string> symbols;
  for (unsigned char c : piece) {
    std::string s;
    AppendUtf8(Alphabet().code_point[c], &s);
    symbols.push_back(std::move(s));
  }
  return symbols;
}

// Replaces every left,right neighbour pair in `symbols` by their concatenation, left to right.
void MergeInPlace(const std::string& left, const std::string& right, std::vector<std::string>* symbols) {
  std::vector<std::string> out;
  out.reserve(symbols->size());
  for (size_t i = 0; i < symbols->size(); ++i) {
    if (i + 1 < symbols->size() && (*symbols)[i] == left && (*symbols)[i + 1] == right) {
      out.push_back(left + right);
      ++i;
    } else {
      out.push_back(std::move((*symbols)[i]));
    }
  }
  *symbols = std::move(out);
}

}  // namespace

std::string ByteLevelText(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) AppendUtf8(Alphabet().code_point[c], &out);
  return out;
}

BpeModel TrainByteLevelBpe(const std::vector<std::string>& pieces) {
  BpeModel model;
  std::unordered_map<std::string, int> known;
  auto add_token = [&](const std::string& token) {
    auto [it, added] = known.emplace(token, static_cast<int>(model.tokens.size()));
    if (added) model.tokens.push_back(token);
    return it->second;
  };
  for (int b : Alphabet().order) add_token(ByteLevelText(std::string(1, static_cast<char>(b))));

  // Pieces as token ids; pairs counted under a 64-bit key (left id, right id).
  std::vector<std::vector<int>> words;
  for (const std::string& piece : pieces) {
    std::vector<int> ids;
    for (const std::string& symbol : ByteSymbols(piece)) ids.push_back(known.at(symbol));
    words.push_back(std::move(ids));
  }
  auto key = [](int left, int right) { return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right); };
  while (true) {
    std::unordered_map<uint64_t, long> counts;
    for (const auto& ids : words) {
      for (size_t i = 0; i + 1 < ids.size(); ++i) ++counts[key(ids[i], ids[i + 1])];
    }
    if (counts.empty()) break;
    // The most frequent pair; ties go to the smallest (left, right) text, the same on every platform.
    int left = -1, right = -1;
    long best = 0;
    for (const auto& [pair, count] : counts) {
      const int l = static_cast<int>(pair >> 32), r = static_cast<int>(pair & 0xFFFFFFFFu);
      const bool better = count > best || (count == best && std::tie(model.tokens[l], model.tokens[r]) <
                                                                std::tie(model.tokens[left], model.tokens[right]));
      if (better) {
        left = l;
        right = r;
        best = count;
      }
    }
    model.merges.emplace_back(model.tokens[left], model.tokens[right]);
    const int merged = add_token(model.tokens[left] + model.tokens[right]);
    for (auto& ids : words) {
      size_t out = 0;
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i + 1 < ids.size() && ids[i] == left && ids[i + 1] == right) {
          ids[out++] = merged;
          ++i;
        } else {
          ids[out++] = ids[i];
        }
      }
      ids.resize(out);
    }
  }
  return model;
}

BpeMerger::BpeMerger(const BpeModel& model) : merges_(model.merges) {
  for (size_t r = 0; r < merges_.size(); ++r) rank_.emplace(merges_[r], r);
}

std::vector<std::string> BpeMerger::Apply(std::string_view piece) const {
  std::vector<std::string> symbols = ByteSymbols(piece);
  while (symbols.size() > 1) {
    size_t best_rank = merges_.size();
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = rank_.find({symbols[i], symbols[i + 1]});
      if (it != rank_.end() && it->second < best_rank) best_rank = it->second;
    }
    if (best_rank == merges_.size()) break;
    MergeInPlace(merges_[best_rank].first, merges_[best_rank].second, &symbols);
  }
  return symbols;
}

}  // namespace deeper::world
