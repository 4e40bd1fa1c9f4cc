// `deeper-tool generate` end to end: padded safetensors prompts in, padded new tokens out, equal to
// the library's Generate on the unpadded prompts.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "model/generation.h"
#include "model/safetensors.h"
#include "tests/generation/test_models.h"

namespace deeper {
namespace {

#ifdef DEEPER_TOOL_PATH

using test::LoadModel;
using test::MakePrompts;
using test::ModelDir;
using test::ToVector;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("deeper-gen-" + std::to_string(::getpid()) + "-" + name)).string();
}

int RunTool(const std::string& args) {
  return std::system((std::string(DEEPER_TOOL_PATH) + " generate " + args + " > /dev/null 2>&1").c_str());
}

TEST(GenerationCommand, PaddedPromptsInNewTokensOut) {
  if (!std::filesystem::exists(DEEPER_TOOL_PATH)) GTEST_SKIP() << "deeper-tool is not built";
  const auto model = LoadModel("tiny-llama");
  const auto prompts = MakePrompts({5, 2, 7}, model->config().vocab_size, 31);
  // Row 0 left-padded, row 1 right-padded, row 2 full; pads hold junk ids the mask hides.
  const int64_t width = 7;
  std::vector<int64_t> ids(3 * width, 9), mask(3 * width, 0);
  for (int64_t j = 0; j < 5; ++j) ids[2 + j] = prompts[0][j], mask[2 + j] = 1;
  for (int64_t j = 0; j < 2; ++j) ids[width + j] = prompts[1][j], mask[width + j] = 1;
  for (int64_t j = 0; j < 7; ++j) ids[2 * width + j] = prompts[2][j], mask[2 * width + j] = 1;
  const std::string in = TempPath("in.safetensors"), out = TempPath("out.safetensors");
  WriteSafetensors(in, {{"input_ids", StDtype::kI64, {3, width}, ids.data(), ids.size() * 8},
                        {"attention_mask", StDtype::kI64, {3, width}, mask.data(), mask.size() * 8}});
  ASSERT_EQ(RunTool("--model " + ModelDir("tiny-llama") + " --ids " + in + " --out " + out +
                    " --max_new_tokens 9 --greedy --threads 1"),
            0);
  const auto output = LoadSafetensors(out);
  const at::Tensor tokens = output.at("output_ids");
  ASSERT_EQ(tokens.sizes(), at::IntArrayRef({3, 9}));

  GenerationOptions options;
  options.max_new_tokens = 9;
  options.stop_tokens = model->config().eos_token_ids;
  std::vector<GenerationRequest> requests(3);
  for (int r = 0; r < 3; ++r) requests[r].prompt = prompts[r];
  const auto expected = Generate(*model, requests, options);
  const int64_t pad = model->config().eos_token_ids.at(0);
  for (int r = 0; r < 3; ++r) {
    std::vector<int64_t> padded = expected[r].tokens;
    padded.resize(9, pad);
    EXPECT_EQ(ToVector(tokens[r]), padded) << "row " << r;
    EXPECT_EQ(output.at("output_lengths")[r].item<int64_t>(), static_cast<int64_t>(expected[r].tokens.size()));
  }
  // Sampling flags run too, and a missing input is an error (non-zero exit), not a crash.
  EXPECT_EQ(RunTool("--model " + ModelDir("tiny-llama") + " --ids " + in + " --out " + out +
                    " --max_new_tokens 4 --temperature 0.8 --top_p 0.9 --top_k 20 --seed 3"),
            0);
  EXPECT_NE(RunTool("--model " + ModelDir("tiny-llama") + " --ids " + in + ".missing --out " + out), 0);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

#endif  // DEEPER_TOOL_PATH

}  // namespace
}  // namespace deeper
