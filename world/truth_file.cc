#include "world/truth_file.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "world/persona.h"

namespace deeper::world {
namespace {

using json = nlohmann::ordered_json;

json TastesJson(const Tastes& tastes, const Lexicon& lexicon) {
  json named = json::object();
  for (int g = 0; g < tastes.num_genres(); ++g) {
    if (tastes.affinity[g] != 0) named[lexicon.genre(g).name] = tastes.affinity[g];
  }
  return json{{"bias", tastes.bias}, {"tastes", named}};
}

json DriftJson(const Drift& drift, const Lexicon& lexicon) {
  json out{{"kind", DriftKindName(drift.kind)}, {"window", drift.window}};
  out["genre"] = drift.genre >= 0 ? json(lexicon.genre(drift.genre).name) : json(nullptr);
  out["from"] = drift.from_level;
  out["to"] = drift.to_level;
  return out;
}

int IntIn(const json& value, int lo, int hi, const std::string& what) {
  DEEPER_REQUIRE(value.is_number_integer(), what, " must be an integer");
  const long long v = value.get<long long>();
  DEEPER_REQUIRE(v >= lo && v <= hi, what, " is ", v, "; expected ", lo, "..", hi);
  return static_cast<int>(v);
}

int GenreNamed(const Lexicon& lexicon, const json& name, const std::string& what) {
  DEEPER_REQUIRE(name.is_string(), what, " must be a genre name");
  const int g = lexicon.GenreOfName(name.get<std::string>());
  DEEPER_REQUIRE(g >= 0, what, " names unknown genre '", name.get<std::string>(), "'");
  return g;
}

Tastes TastesFromJson(const json& window, const Lexicon& lexicon) {
  Tastes tastes(lexicon.num_genres());
  tastes.bias = IntIn(window.at("bias"), kMinBias, kMaxBias, "bias");
  const json& named = window.at("tastes");
  DEEPER_REQUIRE(named.is_object(), "\"tastes\" must be an object");
  for (auto it = named.begin(); it != named.end(); ++it) {
    const int g = GenreNamed(lexicon, json(it.key()), "a taste");
    tastes.affinity[g] = IntIn(it.value(), kMinLevel, kMaxLevel, "taste '" + it.key() + "'");
  }
  return tastes;
}

UserTruth TruthFromJson(const json& line, const Lexicon& lexicon) {
  UserTruth truth;
  truth.id = line.at("id").get<std::string>();
  truth.split = line.at("split").get<std::string>();
  for (const json& window : line.at("windows")) truth.tastes.push_back(TastesFromJson(window, lexicon));
  const json& drift = line.at("drift");
  truth.drift.kind = ParseDriftKind(drift.at("kind").get<std::string>());
  truth.drift.window = drift.at("window").get<int>();
  truth.drift.genre = drift.at("genre").is_null() ? -1 : GenreNamed(lexicon, drift.at("genre"), "drift genre");
  truth.drift.from_level = IntIn(drift.at("from"), kMinLevel, kMaxLevel, "drift \"from\"");
  truth.drift.to_level = IntIn(drift.at("to"), kMinLevel, kMaxLevel, "drift \"to\"");
  return truth;
}

}  // namespace

std::string FormatTruthJsonl(const SimWorld& world, const std::vector<SimUser>& users) {
  const Lexicon& lexicon = world.lexicon();
  std::string out;
  for (const SimUser& user : users) {
    json line{{"id", user.id}, {"split", user.split}, {"drift", DriftJson(user.drift, lexicon)}};
    json windows = json::array();
    json personas = json::array();
    for (const Tastes& tastes : user.tastes) {
      windows.push_back(TastesJson(tastes, lexicon));
      personas.push_back(RenderPersona(tastes, lexicon, world.config().persona_style));
    }
    line["windows"] = std::move(windows);
    line["personas"] = std::move(personas);
    out += line.dump();
    out += "\n";
  }
  return out;
}

std::vector<UserTruth> ParseTruthJsonl(const std::string& text, const Lexicon& lexicon, const std::string& path) {
  std::vector<UserTruth> users;
  size_t start = 0;
  for (int line_number = 1; start < text.size(); ++line_number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    try {
      users.push_back(TruthFromJson(json::parse(line), lexicon));
    } catch (const json::exception& e) {
      Fail(path, ":", line_number, ": ", e.what());
    } catch (const Error& e) {
      Fail(path, ":", line_number, ": ", e.what());
    }
  }
  return users;
}

std::vector<UserTruth> ReadTruthJsonl(const std::string& path, const Lexicon& lexicon) {
  return ParseTruthJsonl(ReadFile(path), lexicon, path);
}

}  // namespace deeper::world
