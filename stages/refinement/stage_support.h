// What the refinement stages share: their shard layout (one output shard per context_building shard,
// so a user's rows stay in the user's shard and joins between stages are per shard), config-key
// lists, the selection of training contexts, and models loaded lazily once per stage per rank.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/stage.h"
#include "stages/context_building/user_context.h"
#include "stages/persona/model_bundle.h"
#include "stages/persona/model_spec.h"

namespace deeper {

// Stage names, in run order.
inline constexpr char kContextBuilding[] = "context_building";
inline constexpr char kInitPersona[] = "init_persona";
inline constexpr char kRefine1[] = "refine_1";
std::string DirectionSamplingStage(int iteration);  // "direction_sampling_1"
std::string RewardAssignmentStage(int iteration);   // "reward_assignment_1"
std::string PairMiningStage(int iteration);         // "pair_mining_1"
std::string DpoStage(int iteration);                // "dpo_iter1"

// Output shards of every per-user stage: context_building.num_shards.
int UserShardCount(const Config& config);

// The users of shard `shard` of context_building.
std::vector<UserContext> ReadUsers(const StageContext& context, int shard);

// The path of shard `shard` of input stage `stage` (which has the user shard layout).
std::string InputShard(const StageContext& context, const std::string& stage, int shard);

// Config keys the rating predictor's output depends on: the `prediction` section, the predictor's
// model entry and the two prediction prompts.
std::vector<std::string> PredictionConfigKeys(const Config& config);
// Config keys a persona-writing prompt depends on: `persona` limits, the system prompt, the
// user-message prompt `prompt`, the item-line templates, and the rating scales (the prompt's {scale}).
std::vector<std::string> PersonaWritingConfigKeys(const std::string& prompt);
// a + b.
std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b);

// The training users of a shard, in shard order: split in direction_sampling.splits, windows
// first..last present, at most direction_sampling.max_contexts_per_shard of them (0 = all).
std::vector<UserContext> TrainingUsers(const Config& config, std::vector<UserContext> users, int first_window,
                                       int last_window);
// Config keys TrainingUsers reads.
std::vector<std::string> TrainingUserConfigKeys();

// The files of a model entry that stand for it in a stage's plan hash (Stage::ExternalInputs):
// config.json, the tokenizer files and the adapter's files. The weights themselves are not hashed
// (hashing an 8B checkpoint at every `deeper run` would cost minutes): replacing a checkpoint's
// weights in place, under the same path and config.json, is not noticed; use a new directory.
std::vector<std::string> ModelInputFiles(const Config& config, const std::string& model_name);

// Sets libtorch's intra-op threads from run.threads (0 = the node's cores divided by the ranks on it,
// read from the launcher's environment). libtorch starts with one thread on some machines.
void ConfigureTorchThreads(const Config& config);

// A model loaded on first use (a resumed stage whose shards are all done loads nothing) and kept
// for the stage's remaining shards. Two handles with equal specs share one bundle.
class ModelHandle {
 public:
  explicit ModelHandle(ModelSpec spec, ModelHandle* same_as = nullptr)
      : spec_(std::move(spec)), same_as_(same_as) {}
  const ModelBundle& Get();
  const ModelSpec& spec() const { return spec_; }

 private:
  ModelSpec spec_;
  ModelHandle* same_as_;
  std::unique_ptr<ModelBundle> bundle_;
};

// Whether two specs load the same weights the same way.
bool SameModel(const ModelSpec& a, const ModelSpec& b);

}  // namespace deeper
