// The words of the simulated world: genres (each with the words that mark it in item names), neutral
// style and filler words for item names, and the persona vocabulary. Everything the world writes is
// made of these words, so a tokenizer trained on them encodes each in one token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deeper::world {

// The genre table's length: WorldConfig::genres may not exceed it.
constexpr int kMaxGenres = 14;

struct Genre {
  std::string name;                // how personas name it ("horror")
  std::vector<std::string> words;  // what marks it in item names: the name and a synonym ("horror", "scary")
};

// Persona words. A bias clause is "<bias word> rater ."; a taste clause is "<level word> <genre> .".
constexpr std::string_view kRaterWord = "rater";
constexpr std::string_view kClauseEnd = ".";
// The rater bias of a persona, -1..+1.
constexpr int kMinBias = -1;
constexpr int kMaxBias = 1;
// Taste levels (affinities), -2..+2; 0 is "no taste".
constexpr int kMinLevel = -2;
constexpr int kMaxLevel = 2;

// "harsh", "fair", "generous" for -1, 0, +1.
std::string_view BiasWord(int bias);
// "hates", "dislikes", "ignores", "likes", "loves" for -2..+2.
std::string_view LevelWord(int level);
// The inverse lookups; false when `word` is not such a word.
bool BiasOfWord(std::string_view word, int* bias);
bool LevelOfWord(std::string_view word, int* level);

class Lexicon {
 public:
  // The first `genres` genres of the table (2..kMaxGenres).
  explicit Lexicon(int genres);

  int num_genres() const { return static_cast<int>(genres_.size()); }
  const Genre& genre(int g) const { return genres_.at(g); }
  const std::vector<std::string>& style_words() const { return style_words_; }
  const std::vector<std::string>& filler_words() const { return filler_words_; }

  // Genre index of a persona genre name, or -1.
  int GenreOfName(std::string_view name) const;
  // Genre index of an item-name word, or -1 (also for words of genres not in play).
  int GenreOfWord(std::string_view word) const;
  // The distinct genres named by an item's words, ascending. Unknown words carry no genre, so an
  // item from outside the world simply has none.
  std::vector<int> ItemGenres(std::string_view item_name) const;

  // Every word the world writes: item words and persona words, each once, in a fixed order.
  std::vector<std::string> AllWords() const;

 private:
  std::vector<Genre> genres_;
  std::vector<std::string> style_words_;
  std::vector<std::string> filler_words_;
};

// Catalog names available for `genres` genres: one-genre names "<style> <genre word> <filler>" and
// two-genre names "<genre word> <genre word> <filler>"; the catalog may hold at most the smaller pool.
int MaxCatalogSize(int genres);

}  // namespace deeper::world
