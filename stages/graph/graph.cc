#include "stages/graph/graph.h"

#include "stages/context_building/stage.h"
#include "stages/evaluation/stage.h"
#include "stages/refinement/stages.h"

namespace deeper {

std::vector<std::unique_ptr<Stage>> BuildPipeline(const Config& config) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(MakeContextBuildingStage());
  // Without a refiner checkpoint (e.g. the quickstart config) the pipeline is context building only.
  if (!RefinementConfigured(config)) return stages;
  for (auto& stage : MakeRefinementStages(config)) stages.push_back(std::move(stage));
  stages.push_back(MakeEvaluationStage(config));
  return stages;
}

}  // namespace deeper
