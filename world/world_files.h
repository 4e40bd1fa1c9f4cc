// Writes a generated world as the files the pipeline reads, in the release's layout:
//   DIR/split_data/train_dataset.csv          train users, windows_0..windows_{train_windows-1}
//   DIR/test_iterations/test_iteration_K.jsonl eval users, rounds K = 1..eval_windows-2
//   DIR/truth.jsonl                           every user's true tastes per window (truth_file.h)
//   DIR/world.json                            the config and the world's statistics
//   DIR/tokenizer/tokenizer.json, tokenizer_config.json
// Each file is written atomically; identical configs give byte-identical files.
#pragma once

#include <string>
#include <vector>

#include "world/world.h"

namespace deeper::world {

struct WorldFiles {
  std::string train_csv;
  std::string rounds_dir;
  std::vector<std::string> round_files;
  std::string truth;
  std::string world_json;
  std::string tokenizer_dir;
  int vocab_size = 0;
};

// Where WriteWorldFiles puts each file under `dir` (round_files filled for the config's rounds).
WorldFiles WorldFilePaths(const std::string& dir, const WorldConfig& config);

WorldFiles WriteWorldFiles(const SimWorld& world, const std::string& dir);

// The text of world.json: {"config": {...}, "genres": [{"name", "words"}...], "stats": {"train": ...,
// "eval": ...}, "vocab_size": N}.
std::string WorldJson(const SimWorld& world, int vocab_size);

}  // namespace deeper::world
