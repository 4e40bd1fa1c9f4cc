// The second libtorch unit of warm start (light: the transformer's interface only).
#include "stages/warm_start/warm_model.h"

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

}  // namespace

void SetWarmStartThreads(int threads) { SetTorchThreads(threads); }

std::string WarmModelConfigJson(const WarmModelJob& job, const Tokenizer& tokenizer) {
  return ModelConfigToJson(MakeConfig(job, tokenizer));
}

SftSummary TrainWarmModel(const WarmModelJob& job, const Tokenizer& tokenizer, const std::vector<SftExample>& examples,
                          const std::function<void(const SftStepLog&)>& on_log) {
  const ModelConfig config = MakeConfig(job, tokenizer);
  std::unique_ptr<Transformer> model = Transformer::RandomInit(config, job.seed);
  const SftSummary summary = TrainSft(*model, examples, job.sft, on_log);
  model->Save(job.out_dir);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    WriteFileAtomic(job.out_dir + "/" + file, ReadFile(job.tokenizer_dir + "/" + file));
  }
  return summary;
}

}  // namespace deeper
