#include "stages/world_stage/world_stage.h"

#include "stages/world_stage/world_section.h"
#include "world/world.h"
#include "world/world_files.h"

namespace deeper {
namespace {

class WorldStage : public Stage {
 public:
  std::string Name() const override { return kWorldStage; }
  std::string Description() const override {
    return "simulated behaviour world: train CSV, eval round files, truth, tokenizer";
  }
  std::vector<std::string> ConfigKeys() const override { return {kWorldSection}; }
  int NumShards(const Config&) const override { return 1; }

  // The world is small (seconds) and one set of files, not shards: rank 0 writes it whole.
  void Run(StageContext& context) override {
    const world::WorldConfig config = WorldConfigFromSection(context.config);
    if (!context.world.is_root()) return;
    const world::SimWorld sim(config);
    world::WriteWorldFiles(sim, context.stage_dir);
  }
};

}  // namespace

std::unique_ptr<Stage> MakeWorldStage() { return std::make_unique<WorldStage>(); }

}  // namespace deeper
