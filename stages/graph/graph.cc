#include "stages/graph/graph.h"

#include "stages/context_building/stage.h"
#include "stages/evaluation/stage.h"
#include "stages/refinement/stages.h"
#include "stages/warm_start/stage.h"
#include "stages/world_stage/world_section.h"
#include "stages/world_stage/world_stage.h"

namespace deeper {

std::vector<std::unique_ptr<Stage>> BuildPipeline(const Config& config) {
  std::vector<std::unique_ptr<Stage>> stages;
  const bool world = WorldEnabled(config);
  if (world) stages.push_back(MakeWorldStage());
  stages.push_back(MakeContextBuildingStage());
  if (world && config.Get<bool>("warm_start.enabled")) stages.push_back(MakeWarmStartStage());
  // Without a refiner checkpoint the pipeline ends here (context building, and the world's stages).
  if (!RefinementConfigured(config)) return stages;
  for (auto& stage : MakeRefinementStages(config)) stages.push_back(std::move(stage));
  stages.push_back(MakeEvaluationStage(config));
  return stages;
}

}  // namespace deeper
