#include "world/world_files.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "stages/context_building/round_writer.h"
#include "world/deeper_csv_writer.h"
#include "world/truth_file.h"
#include "world/world_stats.h"
#include "world/world_tokenizer.h"

namespace deeper::world {

WorldFiles WorldFilePaths(const std::string& dir, const WorldConfig& config) {
  WorldFiles files;
  files.train_csv = dir + "/split_data/train_dataset.csv";
  files.rounds_dir = dir + "/test_iterations";
  for (int round = 1; round + 1 < config.eval_windows; ++round) {
    files.round_files.push_back(files.rounds_dir + "/test_iteration_" + std::to_string(round) + ".jsonl");
  }
  files.truth = dir + "/truth.jsonl";
  files.world_json = dir + "/world.json";
  files.tokenizer_dir = dir + "/tokenizer";
  return files;
}

std::string WorldJson(const SimWorld& world, int vocab_size) {
  using json = nlohmann::ordered_json;
  json genres = json::array();
  for (int g = 0; g < world.lexicon().num_genres(); ++g) {
    genres.push_back(json{{"name", world.lexicon().genre(g).name}, {"words", world.lexicon().genre(g).words}});
  }
  json out;
  out["config"] = json::parse(WorldConfigJson(world.config()));
  out["genres"] = std::move(genres);
  out["stats"] = json{{"train", json::parse(WorldStatsJson(ComputeWorldStats(world, world.train_users())))},
                      {"eval", json::parse(WorldStatsJson(ComputeWorldStats(world, world.eval_users())))}};
  out["vocab_size"] = vocab_size;
  return out.dump(2) + "\n";
}

WorldFiles WriteWorldFiles(const SimWorld& world, const std::string& dir) {
  WorldFiles files = WorldFilePaths(dir, world.config());
  MakeDirs(dir + "/split_data");
  MakeDirs(files.rounds_dir);
  if (!world.train_users().empty()) {
    WriteFileAtomic(files.train_csv, FormatDeeperCsv(world.Contexts(world.train_users())));
  } else {
    files.train_csv.clear();
  }
  const std::vector<UserContext> eval = world.Contexts(world.eval_users());
  if (eval.empty()) files.round_files.clear();
  for (size_t k = 0; k < files.round_files.size(); ++k) {
    WriteFileAtomic(files.round_files[k], FormatRoundJsonl(eval, static_cast<int>(k) + 1));
  }
  std::vector<SimUser> everyone = world.train_users();
  everyone.insert(everyone.end(), world.eval_users().begin(), world.eval_users().end());
  WriteFileAtomic(files.truth, FormatTruthJsonl(world, everyone));
  const TokenizerFiles tokenizer = BuildWorldTokenizer(world.lexicon(), world.config().item_type, world.config().clause_tokens);
  WriteTokenizerFiles(files.tokenizer_dir, tokenizer);
  files.vocab_size = tokenizer.vocab_size;
  // Written last: its presence says the rest is complete.
  WriteFileAtomic(files.world_json, WorldJson(world, tokenizer.vocab_size));
  return files;
}

}  // namespace deeper::world
