// The second libtorch unit of warm start (light: the transformer's interface only).
#include "stages/warm_start/warm_model.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "model/hf_config.h"
#include "model/runtime.h"
#include "model/transformer.h"

namespace deeper {
namespace {

ModelConfig MakeConfig(const WarmModelJob& job, const Tokenizer& tokenizer) {
  ModelConfig config = ConfigLike("llama");
  config.tie_word_embeddings = true;  // halves the parameters of a model this small
  // Prompts are a few hundred tokens: plain RoPE with a short base resolves nearby positions best.
  config.rope_scaling = RopeScaling{};
  config.rope_theta = 10000.0;
  ApplyConfigOverrides(&config, job.architecture);
  config.vocab_size = tokenizer.vocab_size();
  if (auto bos = tokenizer.bos_id()) config.bos_token_id = *bos;
  if (auto eos = tokenizer.eos_id()) config.eos_token_ids = {*eos};
  if (auto pad = tokenizer.pad_id()) config.pad_token_id = *pad;
  config.torch_dtype = "float32";
  ValidateModelConfig(config, "warm_start." + job.name + ".architecture");
  return config;
}

// The words of `text` with a letter in them: punctuation is shared by many tokens and would dilute what
// tells them apart.
std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) {
    if (std::any_of(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c) != 0; })) words.push_back(word);
  }
  return words;
}

}  // namespace

int InitMultiWordTokens(Transformer& model, const Tokenizer& tokenizer) {
  at::Tensor* embeddings = nullptr;
  for (auto& [name, tensor] : model.MutableParameters()) {
    if (name == "model.embed_tokens.weight") embeddings = tensor;
  }
  DEEPER_REQUIRE(embeddings != nullptr, "warm start: the model has no model.embed_tokens.weight");
  c10::NoGradGuard no_grad;
  int set = 0;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.IsSpecial(id)) continue;
    // An added token's vocab text is its content; a BPE token's is its byte-level form ("Ġcomedy"), so
    // only added tokens are found by their decoded text.
    const std::string text = tokenizer.Decode({id}, false);
    if (tokenizer.FindTokenId(text) != id) continue;
    const std::vector<std::string> words = Words(text);
    if (words.size() < 2) continue;
    std::vector<int64_t> parts;
    for (const std::string& word : words) {
      const std::vector<int32_t> ids = tokenizer.Encode(" " + word, /*add_special_tokens=*/false);
      if (ids.size() != 1) break;
      parts.push_back(ids[0]);
    }
    if (parts.size() != words.size()) continue;
    const at::Tensor index = at::tensor(parts, at::kLong).to(embeddings->device());
    (*embeddings)[id].copy_(embeddings->index_select(0, index).mean(0));
    ++set;
  }
  return set;
}

void SetWarmStartThreads(int threads) { SetTorchThreads(threads); }

std::string WarmModelConfigJson(const WarmModelJob& job, const Tokenizer& tokenizer) {
  return ModelConfigToJson(MakeConfig(job, tokenizer));
}

SftSummary TrainWarmModel(const WarmModelJob& job, const Tokenizer& tokenizer, const std::vector<SftExample>& examples,
                          const std::function<void(const SftStepLog&)>& on_log) {
  const ModelConfig config = MakeConfig(job, tokenizer);
  std::unique_ptr<Transformer> model;
  if (job.init_from.empty()) {
    model = Transformer::RandomInit(config, job.seed);
    InitMultiWordTokens(*model, tokenizer);
  } else {
    model = Transformer::Load(job.init_from);
    DEEPER_REQUIRE(ModelConfigToJson(model->config()) == ModelConfigToJson(config), "warm start: the ", job.name,
                   " starts from ", job.init_from, ", whose config.json differs from warm_start.", job.name,
                   ".architecture's; give both models the same architecture");
  }
  const SftSummary summary = TrainSft(*model, examples, job.sft, on_log);
  model->Save(job.out_dir);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    WriteFileAtomic(job.out_dir + "/" + file, ReadFile(job.tokenizer_dir + "/" + file));
  }
  return summary;
}

}  // namespace deeper
