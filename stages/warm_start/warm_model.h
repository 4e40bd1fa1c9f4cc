// A tiny Llama-architecture model made from scratch for the world's tokenizer, trained by SFT and
// saved as an HF checkpoint with the tokenizer files next to the weights (so the directory alone is a
// loadable model). The header is torch-free: the stage calls this without libtorch's headers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/tokenizer/tokenizer.h"
#include "stages/warm_start/sft_trainer.h"

namespace deeper {

class Transformer;

struct WarmModelJob {
  std::string name;           // "predictor" or "refiner", for messages
  std::string architecture;   // config.json overrides on a llama config ("hidden_size=128,...")
  std::string tokenizer_dir;  // tokenizer.json + tokenizer_config.json, copied into out_dir
  std::string out_dir;        // written: config.json, model.safetensors, tokenizer files
  uint64_t seed = 0;          // of the random initialisation
  // A checkpoint of the same architecture to start from instead of a random initialisation ("" = none):
  // the refiner can start from the trained predictor, which already reads items' genres.
  std::string init_from;
  SftOptions sft;
};

// The model config: llama defaults, the job's overrides, and the tokenizer's vocabulary and special
// token ids (bos, eos = the end-of-turn token, pad).
std::string WarmModelConfigJson(const WarmModelJob& job, const Tokenizer& tokenizer);

// libtorch's intra-op threads for training: `threads`, or every core when <= 0 (warm start runs on
// rank 0 alone while the other ranks wait).
void SetWarmStartThreads(int threads);

// Sets the embedding row of every added token that stands for several words (the world's persona
// clauses, " loves comedy") to the mean of its words' rows, as new tokens of a pretrained model usually
// start: the clause then shares a direction with the genre's word in item names from the first step.
// Words are those with a letter; a word that is not one token leaves the row as it is. Returns how
// many rows were set. TrainWarmModel calls it after the random initialisation.
int InitMultiWordTokens(Transformer& model, const Tokenizer& tokenizer);

// Initialises, trains on `examples` and saves. Returns the training summary.
SftSummary TrainWarmModel(const WarmModelJob& job, const Tokenizer& tokenizer, const std::vector<SftExample>& examples,
                          const std::function<void(const SftStepLog&)>& on_log = {});

}  // namespace deeper
