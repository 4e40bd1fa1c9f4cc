// Warm-start training data from the simulated world, rendered with the pipeline's prompts
// (prompt_renderer.h). Train users only: eval users are never trained on. Torch-free, deterministic.
//
// Predictor: (persona, item) -> the rating the world's rule gives for the tastes the persona STATES,
// without noise. The predictor must read whatever persona it is shown (true, noisy or wrong), so its
// target is the rule applied to that persona, never the user's noisy rating: a clean, learnable signal
// whose optimum is the noise floor for a true persona. Personas mix the train users' true personas,
// the noisy teachers' personas, random tastes, and a few malformed texts (target: the rule for "fair
// rater ." = 3, as the teachers read them). taste_item_share of the items carry a genre the persona
// states. Beware: that makes the persona alone predictive of the rating (a persona that "loves" its
// only genre is rated high on most of its items), and a model trained so from scratch settles on that
// shortcut and never reads the item (measured: identical readouts for every item of a persona). The
// anchored curriculum below gives the readout a first-order reason to read the item; packing many
// items per persona (items_per_persona) shows it the same persona with different ratings.
//
// Refiner: the noisy teachers (world/teachers.h) on every task the pipeline prompts for: init (W0),
// refine (a chain S0 -> S1 -> ... of teacher personas, with the old persona's rule predictions plus
// jitter standing in for the frozen predictor's), and the four baselines (full/sliding regeneration,
// incremental update, hierarchical summary + merge). Several keyed teacher samples per context teach a
// distribution of edits of mixed quality, which is what direction sampling needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/warm_start/prompt_renderer.h"
#include "stages/warm_start/sft_example.h"
#include "world/teachers.h"
#include "world/world.h"

namespace deeper {

struct PredictorDataOptions {
  int64_t examples = 50000;  // personas (each with items_per_persona items)
  // Persona sources (shares of examples; the rest are random tastes).
  double true_persona_share = 0.3;
  double teacher_persona_share = 0.3;
  double malformed_share = 0.04;  // corrupted or empty personas
  // Share of items (outside the users' own windows) drawn from a genre the persona states.
  double taste_item_share = 0.7;
  // Curriculum: the first curriculum_share of the examples state random tastes of one genre only (any
  // bias), so that reading a taste clause is learnt before picking the right one out of several. The
  // examples are generated in this order; train them with SftBatchOptions::keep_order.
  double curriculum_share = 0.0;
  // The curriculum's first anchored_share of all examples: the stated taste's sign follows its genre
  // (even genres liked, odd disliked), so the item's genre alone predicts the rating's direction and
  // the rating readout learns to read the item before it learns to match it against the persona.
  double anchored_share = 0.0;
  // Items rated after each persona. Above 1, an example is one packed row (sft_example.h): the
  // persona's prompt once, then every item's question and rating, each trained as if alone.
  int items_per_persona = 1;
};

struct RefinerDataOptions {
  // Teacher samples per context and task.
  int init_samples = 2;
  int refine_samples = 4;
  // Share of (user, window) contexts that get one example of each baseline task (baselines only need
  // to write sensible personas; their prompts are long, so they are sampled).
  double baseline_share = 0.5;
  // The refine chain covers windows 1..last_refine_window (training and evaluation rounds).
  int last_refine_window = 4;
  // Stand-in predictions: the old persona's rule rating plus uniform noise in [-jitter, jitter].
  double prediction_jitter = 0.3;
  // Simulated users drawn for the warm start alone (split "warm", train windows), on top of the train
  // users: a model trained from scratch needs far more windows than the train split has to learn to
  // read one instead of memorising the examples.
  int extra_users = 0;
};

struct WorldTaskContext {
  const world::SimWorld* world = nullptr;
  const world::PersonaTeachers* teachers = nullptr;
  const PromptRenderer* renderer = nullptr;
  std::string scale_text;  // the {scale} of the world's dataset ("1 to 5")
  uint64_t seed = 0;
};

std::vector<SftExample> PredictorExamples(const WorldTaskContext& context, const PredictorDataOptions& options);

// Counts of refiner examples per task, for logs.
struct RefinerDataCounts {
  int64_t init = 0, refine = 0, full_regeneration = 0, sliding_regeneration = 0, incremental_update = 0,
          hierarchical_summary = 0, hierarchical_merge = 0;
};

std::vector<SftExample> RefinerExamples(const WorldTaskContext& context, const RefinerDataOptions& options,
                                        RefinerDataCounts* counts = nullptr);

// A persona text that the world's grammar rejects, made from a valid one (a word dropped, swapped or
// repeated, or the text cut), for teaching the predictor what nonsense is worth. Empty input stays "".
std::string CorruptPersona(const std::string& persona, const world::Lexicon& lexicon, world::PersonaStyle style,
                           world::KeyedRng* rng);

// Random tastes as a persona might state them: any bias, 0..5 tastes at random genres and levels.
world::Tastes RandomTastes(int genres, world::KeyedRng* rng);

}  // namespace deeper
