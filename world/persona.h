// The persona language of the simulated world: a strict grammar in a fixed order, so that a small
// predictor can find each statement by position and a bad sample is recognisably malformed.
//
//   persona      := rater-clause taste-clause*
//   rater-clause := ("harsh" | "fair" | "generous") "rater" "."
//   taste-clause := level genre "."     level: hates dislikes likes loves (dense also: ignores)
//
// Words are separated by single spaces. Taste clauses follow the genre order of the lexicon. A sparse
// persona states only the tastes it has ("generous rater . loves comedy . hates horror ."); a dense
// one states every genre, "ignores" marking no taste, so genre g is always clause g + 1.
#pragma once

#include <string>
#include <string_view>

#include "world/lexicon.h"
#include "world/tastes.h"
#include "world/world_config.h"

namespace deeper::world {

// The persona stating exactly `tastes` (whose genre count must match the lexicon).
std::string RenderPersona(const Tastes& tastes, const Lexicon& lexicon, PersonaStyle style);

struct PersonaParse {
  bool ok = false;
  Tastes tastes;       // valid when ok
  std::string error;   // why it is malformed, when !ok: names the clause and what was expected
};

// Parses a persona. Leading and trailing whitespace is ignored (generated text often ends in a
// newline); everything else must follow the grammar exactly.
PersonaParse ParsePersona(std::string_view text, const Lexicon& lexicon, PersonaStyle style);

// Space-separated words of a persona (each world word is one token of the world's tokenizer).
int PersonaWordCount(std::string_view text);

}  // namespace deeper::world
