// deeper-tool dpo-train: DPO training from a pair shard or a LLaMA-Factory pairwise dataset.
//   deeper-tool dpo-train --train_config run.yaml [--set key=value,...] [--resume]
//       [--policy DIR] [--ref DIR] [--pairs PATH] [--out DIR] [--beta B] [--seed S] [--threads N]
// Flags given explicitly override the YAML (--policy = model_name_or_path, --ref = ref_model,
// --out = output_dir, --beta = pref_beta); --set applies key=value overrides last. Every key is documented
// in train/README.md. Under mpirun each rank trains on its slice of every global batch.
#include <gflags/gflags.h>

#include <iostream>
#include <string>
#include <vector>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/job_guard.h"
#include "distributed/world.h"
#include "model/runtime.h"
#include "train/trainer.h"

namespace deeper {
namespace {

bool Given(const char* flag) { return !gflags::GetCommandLineFlagInfoOrDie(flag).is_default; }

// "a=1,b=[x,y],lora_target=q_proj,v_proj": a comma starts a new assignment only before "key=".
std::vector<std::string> SplitAssignments(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const bool continues = !parts.empty() && part.find('=') == std::string::npos;
    if (continues) {
      parts.back() += "," + part;
    } else if (!part.empty()) {
      parts.push_back(part);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

TrainConfig ResolveConfig() {
  TrainConfig config;
  if (!FLAGS_train_config.empty()) config = ParseTrainConfig(ReadFile(FLAGS_train_config), FLAGS_train_config);
  if (Given("policy")) config.model_name_or_path = FLAGS_policy;
  if (Given("ref")) config.ref_model = FLAGS_ref;
  if (Given("pairs")) config.pairs = FLAGS_pairs;
  if (Given("out")) config.output_dir = FLAGS_out;
  if (Given("beta")) config.pref_beta = FLAGS_beta;
  if (Given("seed")) config.seed = FLAGS_seed;
  if (Given("threads")) config.threads = FLAGS_threads;
  if (Given("resume")) config.resume = FLAGS_resume;
  for (const std::string& assignment : SplitAssignments(FLAGS_set)) ApplyTrainOverride(&config, assignment);
  ValidateTrainConfig(config);
  return config;
}

int RunDpoTrain(int argc, char** argv) {
  World& world = World::Init(&argc, &argv);
  const int code = RunOrAbortJob([&] {
    DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "' (all inputs are flags)");
    const TrainConfig config = ResolveConfig();
    auto comm = MakeCommunicator(ResolveTrainDevice(config.device));
    const TrainSummary summary = TrainDpo(config, *comm);
    if (comm->rank() == 0) {
      std::cerr << "dpo-train: " << summary.global_step << " steps; last checkpoint " << summary.last_checkpoint
                << "\n";
    }
    return 0;
  });
  world.Finalize();
  return code;
}

}  // namespace
}  // namespace deeper

DEEPER_TOOL_COMMAND("dpo-train", "DPO training (LoRA or full) from pairs; --train_config YAML, --resume",
                    deeper::RunDpoTrain);
