// deeper-tool logits: fp32 logits of a model (optionally with a PEFT LoRA adapter) for given token ids.
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <iostream>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "model/checkpoint.h"
#include "model/lora.h"
#include "model/runtime.h"
#include "model/transformer.h"

namespace deeper {
namespace {

// input_ids must be I64 [B,T]; attention_mask, when present, any integer/bool [B,T].
std::pair<at::Tensor, at::Tensor> ReadIds(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::Open(path);
  at::Tensor ids = ReadTensor(file, "input_ids");
  DEEPER_REQUIRE(ids.scalar_type() == at::kLong && ids.dim() == 2, path, ": tensor 'input_ids' must be I64 [B,T]");
  at::Tensor mask;
  if (file.Find("attention_mask") != nullptr) {
    mask = ReadTensor(file, "attention_mask");
    DEEPER_REQUIRE(mask.sizes() == ids.sizes(), path, ": tensor 'attention_mask' has shape ", mask.sizes(),
                   ", input_ids ", ids.sizes());
  }
  return {ids, mask};
}

int RunLogits(int argc, char** argv) {
  DEEPER_REQUIRE(!FLAGS_model.empty() && !FLAGS_ids.empty() && !FLAGS_out.empty(),
                 "usage: deeper-tool logits --model DIR [--adapter DIR] --ids IN.safetensors --out OUT.safetensors");
  SetTorchThreads(FLAGS_threads);
  c10::NoGradGuard no_grad;
  ModelOptions options;
  options.device = ParseDevice("auto");
  options.dtype = ParseDtype(FLAGS_dtype);
  auto model = Transformer::Load(FLAGS_model, options);
  if (!FLAGS_adapter.empty()) LoadLoraAdapter(*model, FLAGS_adapter);
  const auto [ids, mask] = ReadIds(FLAGS_ids);
  const int64_t vocab = model->config().vocab_size;
  DEEPER_REQUIRE(ids.numel() == 0 || (ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < vocab), FLAGS_ids,
                 ": token ids must be in [0, ", vocab, ")");
  at::Tensor logits = model->Forward(ids, mask).to(at::kCPU);
  SaveSafetensors(FLAGS_out, {{"logits", logits}});
  std::cout << "logits " << logits.sizes() << " -> " << FLAGS_out << "\n";
  return 0;
}

}  // namespace

DEEPER_TOOL_COMMAND("logits", "fp32 logits of --model (+ --adapter) for --ids, written to --out", RunLogits);

}  // namespace deeper
