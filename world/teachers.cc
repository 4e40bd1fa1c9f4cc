#include "world/teachers.h"

#include <cstdint>

#include "world/keyed_rng.h"
#include "world/persona.h"

namespace deeper::world {

PersonaTeachers::PersonaTeachers(const Lexicon& lexicon, PersonaStyle style, TeacherOptions options)
    : lexicon_(lexicon), style_(style), options_(options) {}

Tastes PersonaTeachers::Noisy(const Tastes& clean, const Tastes& start, uint64_t key, std::string_view teacher) const {
  KeyedRng rng({key, HashText(teacher)});
  return AddTeacherNoise(clean, start, options_.noise, &rng);
}

std::vector<Evidence> PersonaTeachers::EvidenceOf(const Window& window) const {
  return WindowEvidence(lexicon_, window.items, window.ratings);
}

Tastes PersonaTeachers::InitialTastes(const Window& first, uint64_t key) const {
  return SlidingRegenerationTastes(first, key);
}

Tastes PersonaTeachers::RefineTastes(const Tastes& old, const Window& current, const std::vector<double>& predicted,
                                     uint64_t key) const {
  const std::vector<TasteEdit> edits =
      ImpliedEdits(lexicon_, old, current.items, current.ratings, predicted, options_.edits);
  return Noisy(ApplyEdits(old, edits), old, key, "refine");
}

Tastes PersonaTeachers::FullRegenerationTastes(const std::vector<Window>& history, uint64_t key) const {
  std::vector<Evidence> evidence;
  for (const Window& window : history) {
    std::vector<Evidence> part = EvidenceOf(window);
    evidence.insert(evidence.end(), part.begin(), part.end());
  }
  const Tastes none(lexicon_.num_genres());
  return Noisy(FitTastes(evidence, none, options_.fit), none, key, "full-regeneration");
}

Tastes PersonaTeachers::SlidingRegenerationTastes(const Window& current, uint64_t key) const {
  const Tastes none(lexicon_.num_genres());
  return Noisy(FitTastes(EvidenceOf(current), none, options_.fit), none, key, "sliding-regeneration");
}

Tastes PersonaTeachers::IncrementalUpdateTastes(const Tastes& old, const Window& current, uint64_t key) const {
  return Noisy(FitTastes(EvidenceOf(current), old, options_.fit), old, key, "incremental-update");
}

Tastes PersonaTeachers::HierarchicalMergeTastes(const Tastes& old, const Window& current, uint64_t key) const {
  const Tastes none(lexicon_.num_genres());
  const Tastes recent = FitTastes(EvidenceOf(current), none, options_.fit);
  // The short-term persona wins wherever it states something; the long-term one fills the rest.
  Tastes merged = old;
  merged.bias = recent.bias;
  for (int g = 0; g < merged.num_genres(); ++g) {
    if (recent.affinity[g] != 0) merged.affinity[g] = recent.affinity[g];
  }
  return Noisy(merged, old, key, "hierarchical-merge");
}

Tastes PersonaTeachers::ReadPersona(std::string_view persona) const {
  PersonaParse parse = ParsePersona(persona, lexicon_, style_);
  return parse.ok ? parse.tastes : Tastes(lexicon_.num_genres());
}

std::string PersonaTeachers::Write(const Tastes& tastes) const { return RenderPersona(tastes, lexicon_, style_); }

std::string PersonaTeachers::Initial(const Window& first, uint64_t key) const { return Write(InitialTastes(first, key)); }

std::string PersonaTeachers::Refine(std::string_view old_persona, const Window& current,
                                    const std::vector<double>& predicted, uint64_t key) const {
  return Write(RefineTastes(ReadPersona(old_persona), current, predicted, key));
}

std::string PersonaTeachers::FullRegeneration(const std::vector<Window>& history, uint64_t key) const {
  return Write(FullRegenerationTastes(history, key));
}

std::string PersonaTeachers::SlidingRegeneration(const Window& current, uint64_t key) const {
  return Write(SlidingRegenerationTastes(current, key));
}

std::string PersonaTeachers::IncrementalUpdate(std::string_view old_persona, const Window& current,
                                               uint64_t key) const {
  return Write(IncrementalUpdateTastes(ReadPersona(old_persona), current, key));
}

std::string PersonaTeachers::HierarchicalMerge(std::string_view old_persona, const Window& current,
                                               uint64_t key) const {
  return Write(HierarchicalMergeTastes(ReadPersona(old_persona), current, key));
}

}  // namespace deeper::world
