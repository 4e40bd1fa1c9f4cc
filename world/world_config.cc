#include "world/world_config.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "common/key_values.h"
#include "common/files.h"
#include "world/lexicon.h"

namespace deeper::world {
namespace {

// One settable key: how to read it from text and how to show it in JSON.
struct Key {
  const char* name;
  std::function<void(const std::string& key, const std::string& value, WorldConfig*)> set;
  std::function<nlohmann::ordered_json(const WorldConfig&)> get;
};

long long ParseInteger(const std::string& key, const std::string& value) {
  size_t used = 0;
  long long parsed = 0;
  try {
    parsed = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  DEEPER_REQUIRE(!value.empty() && used == value.size(), "world setting ", key, "=", value, ": expected an integer");
  return parsed;
}

double ParseReal(const std::string& key, const std::string& value) {
  size_t used = 0;
  double parsed = 0;
  try {
    parsed = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  DEEPER_REQUIRE(!value.empty() && used == value.size(), "world setting ", key, "=", value, ": expected a number");
  return parsed;
}

Key IntKey(const char* name, int WorldConfig::*field) {
  return {name,
          [field](const std::string& k, const std::string& v, WorldConfig* c) {
            const long long x = ParseInteger(k, v);
            DEEPER_REQUIRE(x >= -1000000000LL && x <= 1000000000LL, "world setting ", k, "=", v, ": out of range");
            c->*field = static_cast<int>(x);
          },
          [field](const WorldConfig& c) { return nlohmann::ordered_json(c.*field); }};
}

Key RealKey(const char* name, double WorldConfig::*field) {
  return {name, [field](const std::string& k, const std::string& v, WorldConfig* c) { c->*field = ParseReal(k, v); },
          [field](const WorldConfig& c) { return nlohmann::ordered_json(c.*field); }};
}

Key BoolKey(const char* name, bool WorldConfig::*field) {
  return {name,
          [field](const std::string& k, const std::string& v, WorldConfig* c) {
            if (v == "true" || v == "1") {
              c->*field = true;
            } else if (v == "false" || v == "0") {
              c->*field = false;
            } else {
              Fail("world setting ", k, "=", v, ": expected true or false");
            }
          },
          [field](const WorldConfig& c) { return nlohmann::ordered_json(c.*field); }};
}

Key TextKey(const char* name, std::string WorldConfig::*field) {
  return {name, [field](const std::string&, const std::string& v, WorldConfig* c) { c->*field = v; },
          [field](const WorldConfig& c) { return nlohmann::ordered_json(c.*field); }};
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"seed",
       [](const std::string& k, const std::string& v, WorldConfig* c) {
         size_t used = 0;
         unsigned long long parsed = 0;
         try {
           parsed = std::stoull(v, &used);
         } catch (const std::exception&) {
           used = 0;
         }
         DEEPER_REQUIRE(!v.empty() && v[0] != '-' && used == v.size(), "world setting ", k, "=", v,
                        ": expected a non-negative integer");
         c->seed = parsed;
       },
       [](const WorldConfig& c) { return nlohmann::ordered_json(c.seed); }},
      IntKey("train_users", &WorldConfig::train_users),
      IntKey("eval_users", &WorldConfig::eval_users),
      IntKey("genres", &WorldConfig::genres),
      IntKey("window_length", &WorldConfig::window_length),
      IntKey("train_windows", &WorldConfig::train_windows),
      IntKey("eval_windows", &WorldConfig::eval_windows),
      IntKey("catalog_size", &WorldConfig::catalog_size),
      RealKey("two_genre_fraction", &WorldConfig::two_genre_fraction),
      RealKey("taste_exposure", &WorldConfig::taste_exposure),
      IntKey("min_tastes", &WorldConfig::min_tastes),
      IntKey("max_tastes", &WorldConfig::max_tastes),
      RealKey("noise", &WorldConfig::noise),
      RealKey("drift_fraction", &WorldConfig::drift_fraction),
      {"persona_style",
       [](const std::string& k, const std::string& v, WorldConfig* c) {
         if (v == "sparse") {
           c->persona_style = PersonaStyle::kSparse;
         } else if (v == "dense") {
           c->persona_style = PersonaStyle::kDense;
         } else {
           Fail("world setting ", k, "=", v, ": expected sparse or dense");
         }
       },
       [](const WorldConfig& c) { return nlohmann::ordered_json(PersonaStyleName(c.persona_style)); }},
      BoolKey("clause_tokens", &WorldConfig::clause_tokens),
      TextKey("dataset_name", &WorldConfig::dataset_name),
      TextKey("item_type", &WorldConfig::item_type),
      TextKey("source_url", &WorldConfig::source_url),
  };
  return keys;
}

std::string KeyList() {
  std::string names;
  for (const Key& key : Keys()) names += (names.empty() ? "" : ", ") + std::string(key.name);
  return names;
}

void RequireRange(const char* key, double value, double lo, double hi) {
  DEEPER_REQUIRE(value >= lo && value <= hi, "world setting ", key, "=", value, ": must be in [", lo, ", ", hi, "]");
}

// A metadata field ends up in CSV cells and JSON strings: keep it to one plain line.
void RequirePlainText(const char* key, const std::string& value) {
  DEEPER_REQUIRE(!value.empty(), "world setting ", key, ": must not be empty");
  for (unsigned char c : value) {
    DEEPER_REQUIRE(c >= 0x20 && c != 0x7F && c != '"' && c != ',' && c != '\'' && c != '\\', "world setting ", key,
                   "='", value, "': printable text without quotes, commas or backslashes expected");
  }
}

}  // namespace

void ValidateWorldConfig(const WorldConfig& c) {
  RequireRange("train_users", c.train_users, 0, 1000000);
  RequireRange("eval_users", c.eval_users, 0, 1000000);
  DEEPER_REQUIRE(c.train_users + c.eval_users > 0, "world settings: train_users + eval_users must be positive");
  RequireRange("genres", c.genres, 2, kMaxGenres);
  RequireRange("window_length", c.window_length, 1, 1000);
  RequireRange("train_windows", c.train_windows, 1, 100);
  // Round files need W_{k-1}, W_k, W_{k+1}: at least three windows.
  RequireRange("eval_windows", c.eval_windows, 3, 100);
  RequireRange("min_tastes", c.min_tastes, 0, c.genres);
  RequireRange("max_tastes", c.max_tastes, c.min_tastes, c.genres);
  RequireRange("two_genre_fraction", c.two_genre_fraction, 0.0, 1.0);
  RequireRange("taste_exposure", c.taste_exposure, 0.0, 1.0);
  RequireRange("noise", c.noise, 0.0, 10.0);
  RequireRange("drift_fraction", c.drift_fraction, 0.0, 1.0);
  const int windows = std::max(c.train_users > 0 ? c.train_windows : 0, c.eval_users > 0 ? c.eval_windows : 0);
  // A user never sees an item twice, so the catalog must outlast the longest history.
  DEEPER_REQUIRE(c.catalog_size >= windows * c.window_length * 2, "world setting catalog_size=", c.catalog_size,
                 ": must be at least twice the items of one user's history (", windows * c.window_length, ")");
  RequireRange("catalog_size", c.catalog_size, 1, MaxCatalogSize(c.genres));
  RequirePlainText("dataset_name", c.dataset_name);
  RequirePlainText("item_type", c.item_type);
  RequirePlainText("source_url", c.source_url);
}

void ApplyWorldSetting(const std::string& key, const std::string& value, WorldConfig* config) {
  for (const Key& k : Keys()) {
    if (key == k.name) {
      k.set(key, value, config);
      return;
    }
  }
  Fail("world setting: unknown key '", key, "' (known: ", KeyList(), ")");
}

WorldConfig ParseWorldSettings(const std::string& settings, WorldConfig base) {
  for (const auto& [key, value] : ParseKeyValueList(settings, "world settings")) {
    ApplyWorldSetting(key, value, &base);
  }
  ValidateWorldConfig(base);
  return base;
}

std::string PersonaStyleName(PersonaStyle style) { return style == PersonaStyle::kDense ? "dense" : "sparse"; }

std::string WorldConfigJson(const WorldConfig& config) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Key& key : Keys()) out[key.name] = key.get(config);
  return out.dump();
}

WorldConfig WorldConfigFromJson(const std::string& json_text, const std::string& source) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    Fail(source, ": not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(parsed.is_object(), source, ": expected a JSON object of world settings");
  WorldConfig config;
  try {
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
      const nlohmann::json& value = it.value();
      DEEPER_REQUIRE(value.is_string() || value.is_number() || value.is_boolean(), "world setting ", it.key(),
                     " must be a string, a number or a boolean");
      ApplyWorldSetting(it.key(), value.is_string() ? value.get<std::string>() : value.dump(), &config);
    }
    ValidateWorldConfig(config);
  } catch (const Error& e) {
    Fail(source, ": ", e.what());
  }
  return config;
}

WorldConfig ReadWorldConfig(const std::string& world_json_path) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(ReadFile(world_json_path));
  } catch (const nlohmann::json::exception& e) {
    Fail(world_json_path, ": not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(parsed.is_object() && parsed.contains("config") && parsed["config"].is_object(), world_json_path,
                 ": no \"config\" object");
  return WorldConfigFromJson(parsed["config"].dump(), world_json_path + " (config)");
}

}  // namespace deeper::world
