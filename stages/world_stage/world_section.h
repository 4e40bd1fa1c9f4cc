// The `world` config section as a world::WorldConfig. Every key of the section is a field of
// WorldConfig (world/world_config.h) and is applied with the world's own parser, so the section and
// `deeper-tool world --set` accept the same keys and values and refuse the same mistakes.
#pragma once

#include <string>

#include "pipeline/config.h"
#include "world/world_config.h"

namespace deeper {

// The config section's name.
inline constexpr char kWorldSection[] = "world";

// Key `world.enabled`: whether the graph starts with the world stage (and warm_start). It is the
// pipeline's switch, not a knob of the world, so WorldConfigFromSection skips it.
inline constexpr char kWorldEnabledKey[] = "enabled";
bool WorldEnabled(const Config& config);

// Reads section `world` (validated). Errors name the config source and the key.
world::WorldConfig WorldConfigFromSection(const Config& config);

}  // namespace deeper
