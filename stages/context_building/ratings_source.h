// A `{format: ratings, ...}` entry of context_building.sources, read into contexts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <vector>

#include "stages/context_building/read_options.h"
#include "stages/context_building/user_context.h"

namespace deeper {

// `source` is sources[index]; its keys are documented in configs/defaults.yaml. Unknown keys are
// refused, naming the entry.
std::vector<UserContext> ReadRatingsSource(const YAML::Node& source, size_t index, const ContextReadOptions& read);

}  // namespace deeper
