// Mistakes of the noisy teachers. A teacher works out clean tastes from its evidence, then each
// statement it made beyond its starting point may be missed or garbled, and it may add a taste the
// evidence never showed or misjudge the bias. The warm-started refiner imitates these teachers, so
// its samples differ in quality: the spread DPO needs to learn which edits help.
#pragma once

#include "world/keyed_rng.h"
#include "world/tastes.h"

namespace deeper::world {

struct TeacherNoise {
  double miss = 0.0;        // a statement the evidence implies is left out (the start value stays)
  double wrong = 0.0;       // it is garbled: opposite sign, other strength, or put on another genre
  double spurious = 0.0;    // one extra taste on a random genre
  double bias_error = 0.0;  // the bias moves one step from what the evidence says

  static TeacherNoise Clean() { return {}; }
  // Mixed quality for warm-start data: three in ten statements go astray and one candidate in ten
  // invents a taste. Measured on the default world (4 rounds, the rule as predictor), a chain of
  // noisy refinements still improves on the initial persona, less than the clean rule does.
  static TeacherNoise Default() { return {0.2, 0.1, 0.1, 0.05}; }
};

// `clean` with mistakes; `start` is what the teacher began from (the old persona, or no tastes when it
// writes from scratch). Only genres where clean differs from start are statements that can be missed
// or garbled. Deterministic in `rng`.
Tastes AddTeacherNoise(const Tastes& clean, const Tastes& start, const TeacherNoise& noise, KeyedRng* rng);

}  // namespace deeper::world
