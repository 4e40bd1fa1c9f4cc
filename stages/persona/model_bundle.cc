// One of the two units of the persona library that include libtorch headers (the transformer).
#include "stages/persona/model_bundle.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "model/lora.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "train/trainer.h"

namespace deeper {
namespace {

// The token that ends an assistant turn in each chat format.
const char* EndOfTurnToken(const std::string& chat_format) { return chat_format == "chatml" ? "<|im_end|>" : "<|eot_id|>"; }

}  // namespace

std::unique_ptr<ModelBundle> ModelBundle::Load(const ModelSpec& spec) {
  std::unique_ptr<ModelBundle> bundle(new ModelBundle());
  bundle->spec_ = spec;
  try {
    bundle->tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::FromDirectory(spec.tokenizer_dir()));
    bundle->chat_format_ = std::make_unique<ChatFormat>(ChatFormat::ByName(spec.chat_format, *bundle->tokenizer_));
    ModelOptions options;
    // "auto"/"cuda" take the rank's local GPU, as training does, so ranks of a node share no GPU.
    options.device = ResolveTrainDevice(spec.device);
    if (!spec.dtype.empty()) options.dtype = ParseDtype(spec.dtype);
    bundle->model_ = Transformer::Load(spec.path, options);
    if (!spec.adapter.empty()) {
      LoadLoraAdapter(*bundle->model_, spec.adapter);
      MergeLora(*bundle->model_);
    }
  } catch (const Error& e) {
    Fail("model '", spec.name, "': ", e.what());
  }
  std::vector<int64_t> stops;
  stops.push_back(bundle->tokenizer_->TokenId(EndOfTurnToken(spec.chat_format)));
  if (auto eos = bundle->tokenizer_->eos_id()) stops.push_back(*eos);
  for (int64_t id : bundle->model_->config().eos_token_ids) stops.push_back(id);
  const int64_t vocab = bundle->model_->config().vocab_size;
  stops.erase(std::remove_if(stops.begin(), stops.end(), [&](int64_t id) { return id < 0 || id >= vocab; }), stops.end());
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  bundle->stop_tokens_ = stops;
  DEEPER_REQUIRE(bundle->tokenizer_->vocab_size() <= vocab, "model '", spec.name, "': the tokenizer has ",
                 bundle->tokenizer_->vocab_size(), " tokens but the model only ", vocab);
  return bundle;
}

ModelBundle::~ModelBundle() = default;

std::vector<int64_t> ModelBundle::ChatPromptIds(const std::string& system, const std::string& user) const {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  const std::vector<int32_t> ids = chat_format_->RenderIds(messages, /*add_generation_prompt=*/true);
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::string ModelBundle::Decode(const std::vector<int64_t>& ids) const {
  return tokenizer_->Decode(std::vector<int32_t>(ids.begin(), ids.end()), /*skip_special_tokens=*/true);
}

}  // namespace deeper
