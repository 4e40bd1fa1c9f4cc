#include "stages/graph/graph.h"

#include "stages/context_building/stage.h"

namespace deeper {

std::vector<std::unique_ptr<Stage>> BuildPipeline(const Config& config) {
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(MakeContextBuildingStage());
  return stages;
}

}  // namespace deeper
