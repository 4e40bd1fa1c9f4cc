// Teachers: rule-based persona writers that produce warm-start data for the small models.
//  - Initial: a persona from window 0 (items + true ratings).
//  - Refine: DEEPER's refinement, from the old persona and a window's items with true and predicted
//    ratings (the edits of refinement_edits.h).
//  - The four baselines, none of which sees predictions: full regeneration (all history so far),
//    sliding regeneration (current window only), incremental update (old persona + current window),
//    hierarchical merge (a short-term persona from the current window merged into the old one).
// Each teacher works out clean tastes, then adds the configured TeacherNoise, drawn from `key` alone:
// the same inputs and key give the same persona; different keys give the varied candidates sampling
// needs. With TeacherNoise::Clean() every teacher is its deterministic rule.
//
// Inputs are what the pipeline holds (item names, ratings, persona text); a malformed old persona is
// read as "fair rater ." (no knowledge), as a predictor given nonsense would do.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/context_building/user_context.h"
#include "world/lexicon.h"
#include "world/refinement_edits.h"
#include "world/taste_fit.h"
#include "world/teacher_noise.h"
#include "world/world_config.h"

namespace deeper::world {

struct TeacherOptions {
  FitOptions fit;
  EditOptions edits;
  TeacherNoise noise = TeacherNoise::Default();
};

class PersonaTeachers {
 public:
  PersonaTeachers(const Lexicon& lexicon, PersonaStyle style, TeacherOptions options = {});

  // Tastes-level teachers (the text-level ones below render these).
  Tastes InitialTastes(const Window& first, uint64_t key) const;
  Tastes RefineTastes(const Tastes& old, const Window& current, const std::vector<double>& predicted,
                      uint64_t key) const;
  Tastes FullRegenerationTastes(const std::vector<Window>& history, uint64_t key) const;
  Tastes SlidingRegenerationTastes(const Window& current, uint64_t key) const;
  Tastes IncrementalUpdateTastes(const Tastes& old, const Window& current, uint64_t key) const;
  Tastes HierarchicalMergeTastes(const Tastes& old, const Window& current, uint64_t key) const;

  std::string Initial(const Window& first, uint64_t key) const;
  std::string Refine(std::string_view old_persona, const Window& current, const std::vector<double>& predicted,
                     uint64_t key) const;
  std::string FullRegeneration(const std::vector<Window>& history, uint64_t key) const;
  std::string SlidingRegeneration(const Window& current, uint64_t key) const;
  std::string IncrementalUpdate(std::string_view old_persona, const Window& current, uint64_t key) const;
  std::string HierarchicalMerge(std::string_view old_persona, const Window& current, uint64_t key) const;

  // The tastes a persona states, or no tastes ("fair rater .") when it is malformed.
  Tastes ReadPersona(std::string_view persona) const;
  std::string Write(const Tastes& tastes) const;

  const Lexicon& lexicon() const { return lexicon_; }
  PersonaStyle style() const { return style_; }
  const TeacherOptions& options() const { return options_; }

 private:
  // The clean tastes with the configured mistakes, drawn from (key, teacher name).
  Tastes Noisy(const Tastes& clean, const Tastes& start, uint64_t key, std::string_view teacher) const;
  std::vector<Evidence> EvidenceOf(const Window& window) const;

  Lexicon lexicon_;
  PersonaStyle style_;
  TeacherOptions options_;
};

}  // namespace deeper::world
