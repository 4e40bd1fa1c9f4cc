// deeper-tool make-model: a randomly initialised checkpoint in hub layout (benchmarks, tests, demos).
#include <ATen/ATen.h>

#include <iostream>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "model/hf_config.h"
#include "model/runtime.h"
#include "model/transformer.h"

namespace deeper {
namespace {

int RunMakeModel(int argc, char** argv) {
  DEEPER_REQUIRE(!FLAGS_out.empty(),
                 "usage: deeper-tool make-model --like llama|qwen2|qwen3 --set key=value,... --dtype bf16|f16|f32 "
                 "--seed S --out DIR");
  SetTorchThreads(FLAGS_threads);
  ModelConfig config = ConfigLike(FLAGS_like);
  ApplyConfigOverrides(&config, FLAGS_set);
  ModelOptions options;  // Built on the CPU in the target dtype: a bf16 8B model needs 16 GB, not 32.
  options.dtype = ParseDtype(FLAGS_dtype);
  config.torch_dtype = HfDtypeName(*options.dtype);
  auto model = Transformer::RandomInit(config, FLAGS_seed, options);
  int64_t params = 0;
  for (const auto& [name, p] : model->NamedParameters()) params += p.numel();
  model->Save(FLAGS_out);
  std::cout << "make-model: " << config.model_type << " with " << params << " parameters ("
            << config.num_hidden_layers << " layers, hidden " << config.hidden_size << ", " << config.torch_dtype
            << ") -> " << FLAGS_out << "\n";
  return 0;
}

}  // namespace

DEEPER_TOOL_COMMAND("make-model", "random-init checkpoint (--like, --set, --dtype, --seed) written to --out", RunMakeModel);

}  // namespace deeper
