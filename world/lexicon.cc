#include "world/lexicon.h"

#include <algorithm>

#include "common/error.h"

namespace deeper::world {
namespace {

// Genre names double as one of their item words: a small predictor then only has to match a word
// of the item to the same word in the persona for half the items, and learn one synonym for the rest.
// Plain constants (no std::string), so a Lexicon built during static initialisation sees them.
struct GenreEntry {
  const char* name;
  const char* synonym;
};
constexpr GenreEntry kGenreTable[kMaxGenres] = {
    {"comedy", "funny"},        {"horror", "scary"},      {"romance", "romantic"}, {"action", "explosive"},
    {"drama", "tragic"},        {"scifi", "alien"},       {"fantasy", "magic"},    {"mystery", "detective"},
    {"western", "cowboy"},      {"musical", "singing"},   {"documentary", "wildlife"}, {"animation", "cartoon"},
    {"thriller", "suspense"},   {"war", "soldier"},
};

const char* const kStyleWords[] = {"classic", "modern", "little", "grand", "golden", "silver", "hidden", "final",
                                   "first",   "last",   "wild",   "quiet", "bright", "northern", "broken", "lucky"};
const char* const kFillerWords[] = {"story", "tale",   "night",  "city",  "road",   "river", "kingdom", "journey",
                                    "summer", "winter", "island", "house", "garden", "train", "letter",  "game"};

constexpr std::string_view kBiasWords[] = {"harsh", "fair", "generous"};
constexpr std::string_view kLevelWords[] = {"hates", "dislikes", "ignores", "likes", "loves"};

}  // namespace

std::string_view BiasWord(int bias) {
  DEEPER_REQUIRE(bias >= kMinBias && bias <= kMaxBias, "rater bias ", bias, " outside [-1, 1]");
  return kBiasWords[bias - kMinBias];
}

std::string_view LevelWord(int level) {
  DEEPER_REQUIRE(level >= kMinLevel && level <= kMaxLevel, "taste level ", level, " outside [-2, 2]");
  return kLevelWords[level - kMinLevel];
}

bool BiasOfWord(std::string_view word, int* bias) {
  for (int b = kMinBias; b <= kMaxBias; ++b) {
    if (kBiasWords[b - kMinBias] == word) {
      *bias = b;
      return true;
    }
  }
  return false;
}

bool LevelOfWord(std::string_view word, int* level) {
  for (int l = kMinLevel; l <= kMaxLevel; ++l) {
    if (kLevelWords[l - kMinLevel] == word) {
      *level = l;
      return true;
    }
  }
  return false;
}

Lexicon::Lexicon(int genres) {
  DEEPER_REQUIRE(genres >= 2 && genres <= kMaxGenres, "world: ", genres, " genres requested; 2..", kMaxGenres,
                 " are available");
  for (int g = 0; g < genres; ++g) genres_.push_back({kGenreTable[g].name, {kGenreTable[g].name, kGenreTable[g].synonym}});
  style_words_.assign(std::begin(kStyleWords), std::end(kStyleWords));
  filler_words_.assign(std::begin(kFillerWords), std::end(kFillerWords));
}

int Lexicon::GenreOfName(std::string_view name) const {
  for (int g = 0; g < num_genres(); ++g) {
    if (genres_[g].name == name) return g;
  }
  return -1;
}

int Lexicon::GenreOfWord(std::string_view word) const {
  for (int g = 0; g < num_genres(); ++g) {
    for (const std::string& w : genres_[g].words) {
      if (w == word) return g;
    }
  }
  return -1;
}

std::vector<int> Lexicon::ItemGenres(std::string_view item_name) const {
  std::vector<int> genres;
  size_t start = 0;
  while (start <= item_name.size()) {
    size_t end = item_name.find(' ', start);
    if (end == std::string_view::npos) end = item_name.size();
    const int g = GenreOfWord(item_name.substr(start, end - start));
    if (g >= 0 && std::find(genres.begin(), genres.end(), g) == genres.end()) genres.push_back(g);
    start = end + 1;
  }
  std::sort(genres.begin(), genres.end());
  return genres;
}

std::vector<std::string> Lexicon::AllWords() const {
  std::vector<std::string> words;
  auto add = [&](std::string_view w) {
    if (std::find(words.begin(), words.end(), w) == words.end()) words.emplace_back(w);
  };
  for (const Genre& g : genres_) {
    add(g.name);
    for (const std::string& w : g.words) add(w);
  }
  for (const std::string& w : style_words_) add(w);
  for (const std::string& w : filler_words_) add(w);
  for (std::string_view w : kBiasWords) add(w);
  add(kRaterWord);
  for (std::string_view w : kLevelWords) add(w);
  add(kClauseEnd);
  return words;
}

int MaxCatalogSize(int genres) {
  const int words_per_genre = 2;
  const int styles = static_cast<int>(std::size(kStyleWords));
  const int fillers = static_cast<int>(std::size(kFillerWords));
  const int single = genres * words_per_genre * styles * fillers;
  const int pairs = genres * (genres - 1) * words_per_genre * words_per_genre * fillers;
  return std::min(single, pairs);
}

}  // namespace deeper::world
