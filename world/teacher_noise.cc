#include "world/teacher_noise.h"

#include <algorithm>
#include <cstdlib>

#include "world/lexicon.h"

namespace deeper::world {
namespace {

int NonZeroLevel(KeyedRng* rng) {
  static constexpr int kLevels[] = {-2, -1, 1, 2};
  return kLevels[rng->UniformInt(4)];
}

// Garbles the statement about genre g (clean level c, start level s) in `out`.
void Garble(const Tastes& clean, const Tastes& start, int g, KeyedRng* rng, Tastes* out) {
  const int c = clean.affinity[g];
  switch (rng->UniformInt(3)) {
    case 0:  // opposite sign: for a removal, the old taste turns around instead
      out->affinity[g] = c != 0 ? -c : -start.affinity[g];
      break;
    case 1:  // other strength (a removal becomes a weakening to the other extreme)
      out->affinity[g] = c != 0 ? (std::abs(c) == 1 ? 2 * c : c / 2) : (start.affinity[g] > 0 ? 2 : -2);
      break;
    default: {  // the right level on the wrong genre: the intended genre keeps its start value
      const int other = (g + 1 + rng->UniformInt(clean.num_genres() - 1)) % clean.num_genres();
      out->affinity[g] = start.affinity[g];
      out->affinity[other] = c != 0 ? c : NonZeroLevel(rng);
      break;
    }
  }
}

int MisjudgedBias(int bias, KeyedRng* rng) {
  if (bias == kMinBias) return bias + 1;
  if (bias == kMaxBias) return bias - 1;
  return rng->Bernoulli(0.5) ? bias + 1 : bias - 1;
}

}  // namespace

Tastes AddTeacherNoise(const Tastes& clean, const Tastes& start, const TeacherNoise& noise, KeyedRng* rng) {
  Tastes out = clean;
  if (clean.bias != start.bias && rng->Bernoulli(noise.miss)) out.bias = start.bias;
  for (int g = 0; g < clean.num_genres(); ++g) {
    if (clean.affinity[g] == start.affinity[g]) continue;
    // One draw decides miss / garble / keep, so the two rates add up as written.
    const double u = rng->Uniform();
    if (u < noise.miss) {
      out.affinity[g] = start.affinity[g];
    } else if (u < noise.miss + noise.wrong) {
      Garble(clean, start, g, rng, &out);
    }
  }
  if (rng->Bernoulli(noise.spurious)) out.affinity[rng->UniformInt(out.num_genres())] = NonZeroLevel(rng);
  if (rng->Bernoulli(noise.bias_error)) out.bias = MisjudgedBias(out.bias, rng);
  return out;
}

}  // namespace deeper::world
