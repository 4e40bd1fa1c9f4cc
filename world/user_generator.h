// Draws one simulated user: tastes, drift, windows and ratings, each from its own keyed stream so
// that changing one knob (noise, exposure, window count) leaves the other draws alone.
#pragma once

#include <string>

#include "world/catalog.h"
#include "world/world.h"

namespace deeper::world {

// User `index` (0-based) of `split` ("train" or "eval") with `windows` windows.
SimUser GenerateUser(const WorldConfig& config, const Catalog& catalog, const std::string& split, int index,
                     int windows);

}  // namespace deeper::world
