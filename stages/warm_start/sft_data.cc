#include "stages/warm_start/sft_data.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "stages/persona/prediction.h"
#include "world/keyed_rng.h"
#include "world/persona.h"
#include "world/rating_rule.h"
#include "world/user_generator.h"

namespace deeper {
namespace {

using world::KeyedRng;
using world::Tastes;

// Purposes of the keyed streams (so that one never shifts another).
enum Stream : uint64_t { kPredictorStream = 1, kRefinerStream = 2, kJitterStream = 3 };

uint64_t UserKey(const world::SimUser& user) { return world::HashText(user.id); }

Window WindowOf(const world::SimWorld& w, const world::SimUser& user, int k) {
  Window window;
  window.items = w.ItemNames(user, k);
  window.ratings = w.Ratings(user, k);
  window.integer_ratings = true;
  return window;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// ---- Predictor -----------------------------------------------------------------------------------

// An item for a persona: a genre the persona states (taste_item_share of the time), else any item.
int DrawItem(const world::Catalog& catalog, const Tastes& tastes, double taste_item_share, KeyedRng* rng) {
  std::vector<int> stated;
  for (int g = 0; g < tastes.num_genres(); ++g) {
    if (tastes.affinity[g] != 0) stated.push_back(g);
  }
  if (!stated.empty() && rng->Bernoulli(taste_item_share)) {
    const auto& items = catalog.ItemsOfGenre(stated[static_cast<size_t>(rng->UniformInt(static_cast<int>(stated.size())))]);
    if (!items.empty()) return items[static_cast<size_t>(rng->UniformInt(static_cast<int>(items.size())))];
  }
  return rng->UniformInt(catalog.size());
}

// A persona of a train user the pipeline could show the predictor: the truth of a window, or what a
// noisy teacher wrote from that window.
Tastes UserPersonaTastes(const WorldTaskContext& c, const world::SimUser& user, bool teacher, KeyedRng* rng) {
  const int k = rng->UniformInt(user.num_windows());
  if (!teacher) return user.tastes[static_cast<size_t>(k)];
  const Window window = WindowOf(*c.world, user, k);
  return c.teachers->SlidingRegenerationTastes(window, rng->Next());
}

// Any bias and one taste at a random genre and level. `anchored`: the level's sign follows the genre
// (liked when even, disliked when odd), so that an item's genre alone says which way its rating moves.
Tastes SingleTaste(int genres, bool anchored, KeyedRng* rng) {
  static constexpr int kLevels[] = {-2, -1, 1, 2};
  Tastes tastes(genres);
  tastes.bias = rng->UniformRange(world::kMinBias, world::kMaxBias);
  const int g = rng->UniformInt(genres);
  int level = kLevels[rng->UniformInt(4)];
  if (anchored) level = (g % 2 == 0 ? 1 : -1) * std::abs(level);
  tastes.affinity[static_cast<size_t>(g)] = level;
  return tastes;
}

}  // namespace

Tastes RandomTastes(int genres, KeyedRng* rng) {
  Tastes tastes(genres);
  tastes.bias = rng->UniformRange(world::kMinBias, world::kMaxBias);
  const int count = rng->UniformInt(std::min(genres, 5) + 1);
  static constexpr int kLevels[] = {-2, -1, 1, 2};
  for (int i = 0; i < count; ++i) tastes.affinity[static_cast<size_t>(rng->UniformInt(genres))] = kLevels[rng->UniformInt(4)];
  return tastes;
}

std::string CorruptPersona(const std::string& persona, const world::Lexicon& lexicon, world::PersonaStyle style,
                           KeyedRng* rng) {
  std::vector<std::string> words = SplitWords(persona);
  if (words.empty()) return "";
  // A few tries: some edits (e.g. repeating a "." ) can leave a valid persona.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::vector<std::string> out = words;
    const int n = static_cast<int>(out.size());
    switch (rng->UniformInt(4)) {
      case 0:
        out.erase(out.begin() + rng->UniformInt(n));
        break;
      case 1: {
        const int i = rng->UniformInt(n), j = rng->UniformInt(n);
        std::swap(out[static_cast<size_t>(i)], out[static_cast<size_t>(j)]);
        break;
      }
      case 2: {
        const int i = rng->UniformInt(n);
        out.insert(out.begin() + i, out[static_cast<size_t>(i)]);
        break;
      }
      default:
        out.resize(static_cast<size_t>(rng->UniformInt(n)));
        break;
    }
    const std::string text = JoinWords(out);
    if (!world::ParsePersona(text, lexicon, style).ok) return text;
  }
  return "";
}

std::vector<SftExample> PredictorExamples(const WorldTaskContext& c, const PredictorDataOptions& options) {
  DEEPER_REQUIRE(c.world && c.teachers && c.renderer, "warm start: incomplete task context");
  DEEPER_REQUIRE(options.items_per_persona >= 1, "warm start: items_per_persona must be >= 1");
  const world::SimWorld& w = *c.world;
  const auto& users = w.train_users();
  DEEPER_REQUIRE(!users.empty(), "warm start: the world has no train users");
  const int genres = w.lexicon().num_genres();
  const world::PersonaStyle style = w.config().persona_style;
  const std::string& type = w.config().item_type;
  std::vector<SftExample> examples;
  examples.reserve(static_cast<size_t>(options.examples));
  const auto curriculum = static_cast<int64_t>(options.curriculum_share * static_cast<double>(options.examples));
  const auto anchored = static_cast<int64_t>(options.anchored_share * static_cast<double>(options.examples));
  for (int64_t i = 0; i < options.examples; ++i) {
    KeyedRng rng({c.seed, kPredictorStream, static_cast<uint64_t>(i)});
    const double u = rng.Uniform();
    const world::SimUser& user = users[static_cast<size_t>(rng.UniformInt(static_cast<int>(users.size())))];
    Tastes tastes(genres);
    std::string persona;
    bool any_item = false;  // items from the whole catalog (not favouring stated genres)
    if (i < curriculum) {
      tastes = SingleTaste(genres, i < anchored, &rng);
      persona = world::RenderPersona(tastes, w.lexicon(), style);
    } else if (u < options.malformed_share) {
      // Nonsense states nothing: the rule for "fair rater ." (3 for everything).
      persona = CorruptPersona(world::RenderPersona(RandomTastes(genres, &rng), w.lexicon(), style), w.lexicon(), style, &rng);
      any_item = true;
    } else {
      if (u < options.malformed_share + options.true_persona_share) {
        tastes = UserPersonaTastes(c, user, /*teacher=*/false, &rng);
      } else if (u < options.malformed_share + options.true_persona_share + options.teacher_persona_share) {
        tastes = UserPersonaTastes(c, user, /*teacher=*/true, &rng);
      } else {
        tastes = RandomTastes(genres, &rng);
      }
      persona = world::RenderPersona(tastes, w.lexicon(), style);
    }
    std::vector<std::vector<int64_t>> prompts;
    std::vector<int> ratings;
    for (int k = 0; k < options.items_per_persona; ++k) {
      const int item = any_item ? rng.UniformInt(w.catalog().size()) : DrawItem(w.catalog(), tastes, options.taste_item_share, &rng);
      const world::CatalogItem& it = w.catalog().item(item);
      ratings.push_back(world::RateItem(tastes, it.genres));
      prompts.push_back(c.renderer->Predict(persona, it.name, type, c.scale_text));
    }
    SftExample e;
    if (options.items_per_persona == 1) {
      e.prompt = std::move(prompts[0]);
      e.completion = c.renderer->Completion(std::to_string(ratings[0]));
    } else {
      // One row: the persona's shared prompt, then each item's question and rating (sft_example.h).
      SharedPrefix split = SplitSharedPrefix(prompts);
      e.prompt = std::move(split.prefix);
      for (size_t k = 0; k < ratings.size(); ++k) {
        e.branches.push_back({std::move(split.suffixes[k]), c.renderer->Completion(std::to_string(ratings[k]))});
      }
    }
    examples.push_back(std::move(e));
  }
  return examples;
}

// ---- Refiner -------------------------------------------------------------------------------------
namespace {

class RefinerBuilder {
 public:
  RefinerBuilder(const WorldTaskContext& c, const RefinerDataOptions& o, std::vector<SftExample>* out,
                 RefinerDataCounts* counts)
      : c_(c), o_(o), out_(out), counts_(counts), type_(c.world->config().item_type) {}

  void User(const world::SimUser& user) {
    const int windows = user.num_windows();
    std::vector<Window> history;
    for (int k = 0; k < windows; ++k) history.push_back(WindowOf(*c_.world, user, k));
    const uint64_t ukey = UserKey(user);

    const PromptSet& prompts = c_.renderer->prompts();
    // Each context's prompt is rendered once; its teacher samples differ only in the completion.
    const auto init_prompt =
        Prompt(prompts.init, "init", {{"items", FormatRatedItems(prompts, history[0].items, history[0].ratings)}});
    for (int s = 0; s < o_.init_samples; ++s) {
      Add(init_prompt, c_.teachers->Initial(history[0], Key(ukey, 0, "init", s)), &counts_->init);
    }
    // The chain's old persona: a teacher's S0, then each round's first teacher refinement.
    std::string old = c_.teachers->Initial(history[0], Key(ukey, 0, "chain", 0));
    const int last = std::min(o_.last_refine_window, windows - 1);
    for (int k = 1; k <= last; ++k) {
      const Window& current = history[static_cast<size_t>(k)];
      const std::vector<double> predicted = StandInPredictions(old, current, ukey, k);
      const auto refine_prompt =
          Prompt(prompts.refine, "refine",
                 {{"persona", old}, {"items", FormatRefinementItems(prompts, current.items, current.ratings, predicted)}});
      std::string next;
      for (int s = 0; s < o_.refine_samples; ++s) {
        const std::string target = c_.teachers->Refine(old, current, predicted, Key(ukey, k, "refine", s));
        if (s == 0) next = target;
        Add(refine_prompt, target, &counts_->refine);
      }
      Baselines(history, old, k, ukey);
      old = next;
    }
  }

 private:
  void Baselines(const std::vector<Window>& history, const std::string& old, int k, uint64_t ukey) {
    const PromptSet& prompts = c_.renderer->prompts();
    const Window& current = history[static_cast<size_t>(k)];
    const std::string window_items = FormatRatedItems(prompts, current.items, current.ratings);
    const std::vector<Window> so_far(history.begin(), history.begin() + k + 1);
    KeyedRng pick({c_.seed, kRefinerStream, ukey, static_cast<uint64_t>(k), world::HashText("baselines")});
    if (!pick.Bernoulli(o_.baseline_share)) return;
    Add(Prompt(prompts.full_regeneration, "full_regeneration",
               {{"items", HistoryItems(prompts, so_far)}}),
        c_.teachers->FullRegeneration(so_far, Key(ukey, k, "full", 0)), &counts_->full_regeneration);
    Add(Prompt(prompts.sliding_regeneration, "sliding_regeneration", {{"items", window_items}}),
        c_.teachers->SlidingRegeneration(current, Key(ukey, k, "sliding", 0)), &counts_->sliding_regeneration);
    Add(Prompt(prompts.incremental_update, "incremental_update", {{"persona", old}, {"items", window_items}}),
        c_.teachers->IncrementalUpdate(old, current, Key(ukey, k, "incremental", 0)), &counts_->incremental_update);
    // Hierarchical merge: the summary is a sliding regeneration of the window; the merge keeps the
    // old persona where the summary states nothing and takes the summary's word elsewhere.
    const std::string summary = c_.teachers->SlidingRegeneration(current, Key(ukey, k, "summary", 0));
    Add(Prompt(prompts.hierarchical_summary, "hierarchical_summary", {{"items", window_items}}), summary,
        &counts_->hierarchical_summary);
    Add(Prompt(prompts.hierarchical_merge, "hierarchical_merge",
               {{"persona", old}, {"short_term_persona", summary}}),
        Merge(old, summary, Key(ukey, k, "merge", 0)), &counts_->hierarchical_merge);
  }

  std::string Merge(const std::string& long_term, const std::string& short_term, uint64_t key) const {
    const Tastes old = c_.teachers->ReadPersona(long_term);
    const Tastes recent = c_.teachers->ReadPersona(short_term);
    Tastes merged = old;
    merged.bias = recent.bias;
    for (int g = 0; g < merged.num_genres(); ++g) {
      if (recent.affinity[static_cast<size_t>(g)] != 0) merged.affinity[static_cast<size_t>(g)] = recent.affinity[static_cast<size_t>(g)];
    }
    KeyedRng rng({key, world::HashText("hierarchical-merge")});
    return c_.teachers->Write(world::AddTeacherNoise(merged, old, c_.teachers->options().noise, &rng));
  }

  // What a faithful predictor would say for the old persona, blurred like an expected-value readout.
  std::vector<double> StandInPredictions(const std::string& old, const Window& current, uint64_t ukey, int k) const {
    std::vector<double> predicted = world::PredictRatings(c_.teachers->ReadPersona(old), c_.world->lexicon(), current.items);
    KeyedRng rng({c_.seed, kJitterStream, ukey, static_cast<uint64_t>(k)});
    for (double& p : predicted) {
      p = std::clamp(p + (2.0 * rng.Uniform() - 1.0) * o_.prediction_jitter, double(world::kMinRating), double(world::kMaxRating));
    }
    return predicted;
  }

  static std::string HistoryItems(const PromptSet& prompts, const std::vector<Window>& windows) {
    std::vector<std::string> items;
    std::vector<double> ratings;
    for (const Window& w : windows) {
      items.insert(items.end(), w.items.begin(), w.items.end());
      ratings.insert(ratings.end(), w.ratings.begin(), w.ratings.end());
    }
    return FormatRatedItems(prompts, items, ratings);
  }

  std::vector<int64_t> Prompt(const std::string& tmpl, const std::string& name,
                              const std::map<std::string, std::string>& values) const {
    return c_.renderer->Persona(tmpl, PromptConfigKey(name), type_, c_.scale_text, values);
  }

  uint64_t Key(uint64_t ukey, int k, const char* task, int sample) const {
    return world::HashKey({c_.seed, kRefinerStream, ukey, static_cast<uint64_t>(k), world::HashText(task),
                           static_cast<uint64_t>(sample)});
  }

  void Add(std::vector<int64_t> prompt, const std::string& persona, int64_t* count) {
    out_->push_back({std::move(prompt), c_.renderer->Completion(persona), {}});
    ++*count;
  }

  const WorldTaskContext& c_;
  const RefinerDataOptions& o_;
  std::vector<SftExample>* out_;
  RefinerDataCounts* counts_;
  std::string type_;
};

}  // namespace

std::vector<SftExample> RefinerExamples(const WorldTaskContext& c, const RefinerDataOptions& options,
                                        RefinerDataCounts* counts) {
  DEEPER_REQUIRE(c.world && c.teachers && c.renderer, "warm start: incomplete task context");
  RefinerDataCounts local;
  std::vector<SftExample> examples;
  RefinerBuilder builder(c, options, &examples, counts ? counts : &local);
  const world::WorldConfig& config = c.world->config();
  for (const auto& user : c.world->train_users()) builder.User(user);
  for (int i = 0; i < options.extra_users; ++i) {
    builder.User(world::GenerateUser(config, c.world->catalog(), "warm", i, config.train_windows));
  }
  return examples;
}

}  // namespace deeper
