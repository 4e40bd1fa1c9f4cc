// Turning generated tokens into a persona text, and the quality flags a candidate carries. Empty or
// degenerate candidates are kept and marked, never dropped: dropping would make the number of rows
// depend on the model's luck, and the flags tell pair mining and users what happened. Torch-free.
#pragma once

#include <cstdint>
#include <string>

namespace deeper {

// Bits of a persona's `flags` (0 = a clean persona).
enum PersonaFlag : int64_t {
  kPersonaEmpty = 1,       // Nothing left after stripping whitespace.
  kPersonaTruncated = 2,   // Hit max_new_tokens before the end-of-turn token.
  kPersonaDegenerate = 4,  // Mostly repetition (see PersonaTextOptions::min_distinct_word_ratio).
  kPersonaClipped = 8,     // Longer than max_chars: the text was cut (at a word boundary if possible).
  kPersonaTooShort = 16,   // Fewer than min_chars characters (but not empty).
};

// "empty|truncated|..." for logs and `deeper inspect` readers; "" for 0.
std::string PersonaFlagNames(int64_t flags);

struct PersonaTextOptions {
  int64_t max_chars = 4000;  // Longer texts are clipped (and flagged kPersonaClipped).
  int64_t min_chars = 20;    // Shorter non-empty texts are flagged kPersonaTooShort.
  // A text of at least 12 words whose distinct words / words ratio is below this is degenerate.
  double min_distinct_word_ratio = 0.2;
};

struct CleanPersona {
  std::string text;
  int64_t flags = 0;
};

// Strips surrounding whitespace, clips to max_chars (never inside a UTF-8 character) and computes
// the flags. `stopped` says whether generation ended with an end-of-turn token.
CleanPersona CleanPersonaText(const std::string& decoded, bool stopped, const PersonaTextOptions& options);

}  // namespace deeper
