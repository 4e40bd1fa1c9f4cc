#include "world/persona.h"

#include <vector>

#include "common/error.h"

namespace deeper::world {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

std::string Join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string GenreOrder(const Lexicon& lexicon) {
  std::string names;
  for (int g = 0; g < lexicon.num_genres(); ++g) names += (g ? ", " : "") + lexicon.genre(g).name;
  return names;
}

// Parsing state: fails with the clause number and its text in every message.
class Parser {
 public:
  Parser(const Lexicon& lexicon, PersonaStyle style) : lexicon_(lexicon), style_(style), tastes_(lexicon.num_genres()) {}

  // Returns an error message, or "" when the clauses form a valid persona.
  std::string Parse(const std::vector<std::vector<std::string_view>>& clauses) {
    for (size_t i = 0; i < clauses.size(); ++i) {
      std::string error = i == 0 ? RaterClause(clauses[i]) : TasteClause(clauses[i], static_cast<int>(i));
      if (!error.empty()) return error;
    }
    if (style_ == PersonaStyle::kDense && static_cast<int>(clauses.size()) - 1 != lexicon_.num_genres()) {
      return "a dense persona states all " + std::to_string(lexicon_.num_genres()) + " genres; this one states " +
             std::to_string(clauses.size() - 1);
    }
    return "";
  }

  const Tastes& tastes() const { return tastes_; }

 private:
  static std::string Where(int index, const std::vector<std::string_view>& clause) {
    return "clause " + std::to_string(index + 1) + " ('" + Join(clause) + " .')";
  }

  std::string RaterClause(const std::vector<std::string_view>& clause) {
    if (clause.size() != 2 || clause[1] != kRaterWord || !BiasOfWord(clause[0], &tastes_.bias)) {
      return Where(0, clause) + ": a persona starts with 'harsh rater .', 'fair rater .' or 'generous rater .'";
    }
    return "";
  }

  std::string TasteClause(const std::vector<std::string_view>& clause, int index) {
    if (clause.size() == 2 && clause[1] == kRaterWord) return Where(index, clause) + ": a second rater clause";
    if (clause.size() != 2) {
      return Where(index, clause) + ": " + std::to_string(clause.size()) + " words; a taste clause is '<level> <genre> .'";
    }
    int level = 0;
    if (!LevelOfWord(clause[0], &level)) {
      return Where(index, clause) + ": unknown level '" + std::string(clause[0]) +
             "' (expected hates, dislikes, " + (style_ == PersonaStyle::kDense ? "ignores, " : "") + "likes or loves)";
    }
    if (level == 0 && style_ == PersonaStyle::kSparse) {
      return Where(index, clause) + ": 'ignores' belongs to dense personas; a sparse persona leaves the genre out";
    }
    const int genre = lexicon_.GenreOfName(clause[1]);
    if (genre < 0) {
      return Where(index, clause) + ": unknown genre '" + std::string(clause[1]) + "' (expected one of " +
             GenreOrder(lexicon_) + ")";
    }
    if (stated_[genre]) return Where(index, clause) + ": genre '" + std::string(clause[1]) + "' stated twice";
    if (style_ == PersonaStyle::kDense && genre != index - 1) {
      return Where(index, clause) + ": expected genre '" + lexicon_.genre(index - 1).name +
             "' here (a dense persona lists every genre in the order " + GenreOrder(lexicon_) + ")";
    }
    if (genre < last_genre_) {
      return Where(index, clause) + ": genre '" + std::string(clause[1]) + "' after '" +
             lexicon_.genre(last_genre_).name + "'; genres follow the order " + GenreOrder(lexicon_);
    }
    last_genre_ = genre;
    stated_[genre] = true;
    tastes_.affinity[genre] = level;
    return "";
  }

  const Lexicon& lexicon_;
  PersonaStyle style_;
  Tastes tastes_;
  int last_genre_ = -1;
  std::vector<bool> stated_ = std::vector<bool>(lexicon_.num_genres(), false);
};

PersonaParse Malformed(std::string error) {
  PersonaParse parse;
  parse.error = std::move(error);
  return parse;
}

}  // namespace

std::string RenderPersona(const Tastes& tastes, const Lexicon& lexicon, PersonaStyle style) {
  DEEPER_REQUIRE(tastes.num_genres() == lexicon.num_genres(), "persona: tastes over ", tastes.num_genres(),
                 " genres for a lexicon of ", lexicon.num_genres());
  std::string out(BiasWord(tastes.bias));
  out += " ";
  out += kRaterWord;
  out += " .";
  for (int g = 0; g < lexicon.num_genres(); ++g) {
    if (tastes.affinity[g] == 0 && style == PersonaStyle::kSparse) continue;
    out += " ";
    out += LevelWord(tastes.affinity[g]);
    out += " " + lexicon.genre(g).name + " .";
  }
  return out;
}

PersonaParse ParsePersona(std::string_view text, const Lexicon& lexicon, PersonaStyle style) {
  text = Trim(text);
  if (text.empty()) return Malformed("empty persona");
  for (char c : text) {
    if (IsSpace(c) && c != ' ') return Malformed("a line break or tab inside the persona; words are separated by single spaces");
  }
  const std::vector<std::string_view> words = SplitSpaces(text);
  std::vector<std::vector<std::string_view>> clauses(1);
  for (std::string_view word : words) {
    if (word.empty()) return Malformed("two spaces in a row; words are separated by single spaces");
    if (word == kClauseEnd) {
      if (clauses.back().empty()) return Malformed("clause " + std::to_string(clauses.size()) + " is empty ('. .')");
      clauses.emplace_back();
    } else {
      clauses.back().push_back(word);
    }
  }
  if (!clauses.back().empty()) {
    return Malformed("the last clause ('" + Join(clauses.back()) + "') does not end with ' .'");
  }
  clauses.pop_back();
  Parser parser(lexicon, style);
  std::string error = parser.Parse(clauses);
  if (!error.empty()) return Malformed(std::move(error));
  PersonaParse parse;
  parse.ok = true;
  parse.tastes = parser.tastes();
  return parse;
}

int PersonaWordCount(std::string_view text) {
  int count = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = IsSpace(c);
    if (!space && !in_word) ++count;
    in_word = !space;
  }
  return count;
}

}  // namespace deeper::world
