// Every knob of the simulated behaviour world. Defaults are sized so that the whole DEEPER loop on
// tiny models fits a 2-core machine; the same seed and config always give the same world.
#pragma once

#include <cstdint>
#include <string>

namespace deeper::world {

// How personas are written (see persona.h).
enum class PersonaStyle {
  kSparse,  // only the stated tastes, in genre order: "generous rater . loves comedy . hates horror ."
  kDense,   // every genre, in genre order, with "ignores" for no taste: fixed positions per genre
};

struct WorldConfig {
  uint64_t seed = 20250101;
  int train_users = 300;
  int eval_users = 150;
  // Genres in play, taken from the start of the lexicon's table (at most kMaxGenres).
  int genres = 10;
  int window_length = 10;
  int train_windows = 5;  // W0..W4, as in the release's split CSV
  int eval_windows = 6;   // W0..W5: rounds 1..4 of the evaluation (round k predicts W_{k+1})
  // Items to draw windows from; each user sees an item at most once.
  int catalog_size = 1200;
  // Share of catalog items named after two genres (the rest have one).
  double two_genre_fraction = 0.3;
  // Chance that a window slot is filled with an item of one of the user's taste genres (people pick
  // what they care about); the other slots are uniform over the catalog.
  double taste_exposure = 0.3;
  // Tastes per user, uniform in [min_tastes, max_tastes].
  int min_tastes = 2;
  int max_tastes = 4;
  // Standard deviation of the rating noise before rounding.
  double noise = 0.5;
  // Share of users whose tastes drift once (a taste flips or appears) at a random window >= 1.
  double drift_fraction = 0.5;
  PersonaStyle persona_style = PersonaStyle::kSparse;
  // Each persona clause ("loves comedy", "generous rater") is one token of the world's tokenizer (an
  // added token with its leading space), so a model reads a taste in one place instead of combining a
  // level word with the genre word after it. The persona text is the same either way.
  bool clause_tokens = true;
  // Metadata written into the DEEPER files.
  std::string dataset_name = "sim_world";
  std::string item_type = "movie";
  std::string source_url = "simulated";
};

// Throws deeper::Error naming the key and the allowed range when a value is unusable.
void ValidateWorldConfig(const WorldConfig& config);

// Sets one key (the field names above; persona_style is "sparse" or "dense", clause_tokens true or
// false) from text.
// Unknown keys and unparsable values throw deeper::Error listing the keys.
void ApplyWorldSetting(const std::string& key, const std::string& value, WorldConfig* config);

// Applies "key=value,key=value" (empty pairs ignored), then validates.
WorldConfig ParseWorldSettings(const std::string& settings, WorldConfig base = {});

std::string PersonaStyleName(PersonaStyle style);

// The config as one JSON object (every key, in declaration order), for world.json.
std::string WorldConfigJson(const WorldConfig& config);

// The inverse: a JSON object of keys as above (missing keys keep their defaults), validated.
// `source` names the text in error messages.
WorldConfig WorldConfigFromJson(const std::string& json_text, const std::string& source);

// The config a written world was made with: the "config" object of DIR/world.json.
WorldConfig ReadWorldConfig(const std::string& world_json_path);

}  // namespace deeper::world
