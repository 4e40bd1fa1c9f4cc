// deeper-tool generate: continues token-id prompts with a model (optionally with a LoRA adapter).
//   deeper-tool generate --model DIR [--adapter DIR] --ids IN.safetensors --max_new_tokens N
//                        [--greedy | --temperature T --top_p P --top_k K --seed S] [--threads N]
//                        --out OUT.safetensors
// IN: `input_ids` (integer [B,T]) and optionally `attention_mask` ([B,T], 1 = token, 0 = pad; left or
// right padding, or any pattern: the tokens with mask 1 form the prompt, in order).
// OUT (written atomically):
//   output_ids     I64 [B,N], N = --max_new_tokens: the new tokens only. A row that stops early ends
//                  with its stop token and is then filled with the pad id: config.json's pad_token_id,
//                  else its first eos_token_id, else 0 (also in the metadata as "pad_token_id").
//   output_lengths I64 [B]: tokens generated per row (the stop token included).
//   finish_reason  I64 [B]: 0 = stopped at an eos token, 1 = reached N.
// Rows stop at the model's eos_token_id(s) from config.json. Sampling keys are the row indices, so a
// row's sample depends on (seed, row, prompt) only. The device is CUDA when available, else the CPU.
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "model/generation.h"
#include "model/lora.h"
#include "model/runtime.h"
#include "model/safetensors.h"
#include "model/transformer.h"

namespace deeper {
namespace {

// An integer tensor of a safetensors file as int64 values (row-major) with its shape.
std::vector<int64_t> ReadIntegers(const SafetensorsFile& file, const StTensorInfo& info) {
  std::vector<int64_t> values(info.numel());
  const uint8_t* data = file.Data(info);
  for (size_t i = 0; i < values.size(); ++i) {
    switch (info.dtype) {
      case StDtype::kI64: std::memcpy(&values[i], data + 8 * i, 8); break;
      case StDtype::kI32: {
        int32_t v;
        std::memcpy(&v, data + 4 * i, 4);
        values[i] = v;
        break;
      }
      case StDtype::kU8:
      case StDtype::kBool: values[i] = data[i]; break;
      default:
        Fail(file.path(), ": tensor '", info.name, "': expected an integer dtype, got ", StDtypeName(info.dtype));
    }
  }
  return values;
}

// The prompts of IN: per row, the ids whose mask is 1.
std::vector<std::vector<int64_t>> ReadPrompts(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::Open(path);
  const StTensorInfo& ids_info = file.Get("input_ids");
  DEEPER_REQUIRE(ids_info.shape.size() == 2, path, ": tensor 'input_ids': expected shape [B,T]");
  const int64_t rows = ids_info.shape[0], cols = ids_info.shape[1];
  const std::vector<int64_t> ids = ReadIntegers(file, ids_info);
  std::vector<int64_t> mask(ids.size(), 1);
  if (const StTensorInfo* mask_info = file.Find("attention_mask")) {
    DEEPER_REQUIRE(mask_info->shape == ids_info.shape, path, ": tensor 'attention_mask': shape must equal input_ids'");
    mask = ReadIntegers(file, *mask_info);
  }
  std::vector<std::vector<int64_t>> prompts(rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      if (mask[r * cols + c] != 0) prompts[r].push_back(ids[r * cols + c]);
    }
    DEEPER_REQUIRE(!prompts[r].empty(), path, ": row ", r, " has no tokens (attention_mask all 0)");
  }
  return prompts;
}

SamplingOptions SamplingFromFlags() {
  SamplingOptions sampling;
  sampling.greedy = FLAGS_greedy || FLAGS_temperature <= 0.0;
  sampling.temperature = FLAGS_temperature;
  sampling.top_k = FLAGS_top_k;
  sampling.top_p = FLAGS_top_p;
  sampling.seed = FLAGS_seed;
  ValidateSamplingOptions(sampling);
  return sampling;
}

int RunGenerate(int argc, char** argv) {
  DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "' (all inputs are flags)");
  DEEPER_REQUIRE(!FLAGS_model.empty(), "--model DIR is required (config.json + safetensors)");
  DEEPER_REQUIRE(!FLAGS_ids.empty(), "--ids IN.safetensors is required (input_ids [B,T])");
  DEEPER_REQUIRE(!FLAGS_out.empty(), "--out OUT.safetensors is required");
  DEEPER_REQUIRE(FLAGS_max_new_tokens >= 0, "--max_new_tokens must be >= 0");
  SetTorchThreads(FLAGS_threads);
  const std::vector<std::vector<int64_t>> prompts = ReadPrompts(FLAGS_ids);

  ModelOptions model_options;
  model_options.device = ParseDevice("auto");
  const std::unique_ptr<Transformer> model = Transformer::Load(FLAGS_model, model_options);
  if (!FLAGS_adapter.empty()) LoadLoraAdapter(*model, FLAGS_adapter);
  const ModelConfig& config = model->config();

  GenerationOptions options;
  options.max_batch = 32;
  options.max_new_tokens = FLAGS_max_new_tokens;
  options.stop_tokens = config.eos_token_ids;
  options.sampling = SamplingFromFlags();
  std::vector<GenerationRequest> requests(prompts.size());
  for (size_t r = 0; r < prompts.size(); ++r) {
    requests[r].prompt = prompts[r];
    requests[r].key = r;
  }
  GenerationStats stats;
  const std::vector<GenerationResult> results = Generate(*model, requests, options, &stats);

  const int64_t pad = config.pad_token_id >= 0 ? config.pad_token_id
                                                : (config.eos_token_ids.empty() ? 0 : config.eos_token_ids[0]);
  const int64_t rows = results.size(), width = FLAGS_max_new_tokens;
  std::vector<int64_t> output(rows * width, pad), lengths(rows), reasons(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<int64_t>& tokens = results[r].tokens;
    std::copy(tokens.begin(), tokens.end(), output.begin() + r * width);
    lengths[r] = tokens.size();
    reasons[r] = results[r].finish_reason == FinishReason::kStop ? 0 : 1;
  }
  std::vector<StWriteEntry> entries = {
      {"output_ids", StDtype::kI64, {rows, width}, output.data(), output.size() * sizeof(int64_t)},
      {"output_lengths", StDtype::kI64, {rows}, lengths.data(), lengths.size() * sizeof(int64_t)},
      {"finish_reason", StDtype::kI64, {rows}, reasons.data(), reasons.size() * sizeof(int64_t)},
  };
  WriteSafetensors(FLAGS_out, entries, {{"format", "pt"}, {"pad_token_id", std::to_string(pad)}});
  std::cout << "generated " << stats.generated_tokens << " tokens for " << rows << " prompts in "
            << stats.decode_steps << " decode steps -> " << FLAGS_out << "\n";
  return 0;
}

DEEPER_TOOL_COMMAND("generate", "continue token-id prompts (safetensors input_ids) with a model, greedy or sampled",
                    RunGenerate);

}  // namespace
}  // namespace deeper
