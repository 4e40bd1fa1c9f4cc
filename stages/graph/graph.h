// The DEEPER pipeline as a graph of stages, in run order.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/stage.h"

namespace deeper {

std::vector<std::unique_ptr<Stage>> BuildPipeline(const Config& config);

}  // namespace deeper
