// A warm-start model taken from a checkpoint instead of trained in the run (warm_start.refiner.checkpoint):
// a directory, or the refiner compiled into the binary for the quickstart's world (builtin_checkpoint.h).
// The checkpoint must fit the run: its config.json is the one the configured architecture gives for this
// world's tokenizer, and its tokenizer.json is this world's, byte for byte (a model trained for another
// world reads other token ids). Torch-free.
#pragma once

#include <string>

namespace deeper {

// The value of warm_start.refiner.checkpoint that names the checkpoint compiled into the binary.
inline constexpr char kBuiltinCheckpoint[] = "builtin";

struct WarmCheckpoint {
  std::string source;  // for messages: the directory, or "builtin (...)"
  std::string config_json;
  std::string model_safetensors;
  std::string tokenizer_json;

  // SHA-256 over the three files: what the plan hash and the stage's summary record.
  std::string Digest() const;
};

// config.json, model.safetensors and tokenizer.json of `dir`; a missing file is an error naming it.
WarmCheckpoint ReadWarmCheckpoint(const std::string& dir);

// `kBuiltinCheckpoint` -> the built-in refiner, anything else -> ReadWarmCheckpoint.
WarmCheckpoint ResolveWarmCheckpoint(const std::string& value);

// Checks that `checkpoint` fits (`expected_config_json`: what training here would write; `tokenizer_dir`:
// the world's tokenizer), then writes it to `out_dir` with the world's tokenizer files, each file atomically.
// `key` names the config key in errors.
void InstallWarmCheckpoint(const WarmCheckpoint& checkpoint, const std::string& key,
                           const std::string& expected_config_json, const std::string& tokenizer_dir,
                           const std::string& out_dir);

}  // namespace deeper
