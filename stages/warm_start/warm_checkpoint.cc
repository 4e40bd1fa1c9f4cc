#include "stages/warm_start/warm_checkpoint.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "stages/warm_start/builtin_checkpoint.h"

namespace deeper {
namespace {

std::string ReadPart(const std::string& dir, const char* file, const char* what) {
  const std::string path = dir + "/" + file;
  DEEPER_REQUIRE(std::filesystem::is_regular_file(path), path, ": not found; a warm-start checkpoint directory holds ",
                 what);
  return ReadFile(path);
}

nlohmann::json ParseConfig(const std::string& text, const std::string& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": config.json is not JSON (" + e.what() + ")");
  }
}

}  // namespace

std::string WarmCheckpoint::Digest() const {
  return Sha256Hex(Sha256Hex(config_json) + Sha256Hex(model_safetensors) + Sha256Hex(tokenizer_json));
}

WarmCheckpoint ReadWarmCheckpoint(const std::string& dir) {
  DEEPER_REQUIRE(std::filesystem::is_directory(dir), dir, ": not a directory (a warm-start checkpoint is a directory ",
                 "with config.json, model.safetensors and tokenizer.json)");
  const char* what = "config.json, model.safetensors and tokenizer.json";
  return WarmCheckpoint{dir, ReadPart(dir, "config.json", what), ReadPart(dir, "model.safetensors", what),
                        ReadPart(dir, "tokenizer.json", what)};
}

WarmCheckpoint ResolveWarmCheckpoint(const std::string& value) {
  if (value != kBuiltinCheckpoint) return ReadWarmCheckpoint(value);
  const BuiltinCheckpointFiles& files = BuiltinQuickstartRefiner();
  return WarmCheckpoint{"the built-in quickstart refiner", std::string(files.config_json),
                        std::string(files.model_safetensors), std::string(files.tokenizer_json)};
}

void InstallWarmCheckpoint(const WarmCheckpoint& checkpoint, const std::string& key,
                           const std::string& expected_config_json, const std::string& tokenizer_dir,
                           const std::string& out_dir) {
  const std::string tokenizer_json = ReadFile(tokenizer_dir + "/tokenizer.json");
  DEEPER_REQUIRE(checkpoint.tokenizer_json == tokenizer_json, key, ": ", checkpoint.source,
                 " was trained with another tokenizer than this world's (", tokenizer_dir,
                 "/tokenizer.json): its world differs from this run's (world.*). Train the model here (", key,
                 ": \"\") or train a checkpoint for this world");
  DEEPER_REQUIRE(ParseConfig(checkpoint.config_json, checkpoint.source) == ParseConfig(expected_config_json, "expected"),
                 key, ": ", checkpoint.source, "'s config.json differs from the one this run's architecture gives:\n  ",
                 checkpoint.config_json, "\nexpected\n  ", expected_config_json,
                 "\nSet the architecture the checkpoint was trained with, or train the model here (", key, ": \"\")");
  MakeDirs(out_dir);
  WriteFileAtomic(out_dir + "/config.json", checkpoint.config_json);
  WriteFileAtomic(out_dir + "/model.safetensors", checkpoint.model_safetensors);
  WriteFileAtomic(out_dir + "/tokenizer.json", tokenizer_json);
  WriteFileAtomic(out_dir + "/tokenizer_config.json", ReadFile(tokenizer_dir + "/tokenizer_config.json"));
}

}  // namespace deeper
