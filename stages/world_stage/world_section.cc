#include "stages/world_stage/world_section.h"

#include "common/error.h"

namespace deeper {

bool WorldEnabled(const Config& config) {
  return config.Get<bool>(std::string(kWorldSection) + "." + kWorldEnabledKey);
}

world::WorldConfig WorldConfigFromSection(const Config& config) {
  const YAML::Node section = config.At(kWorldSection);
  DEEPER_REQUIRE(section.IsMap(), config.source(), ": section '", kWorldSection, "' must be a map");
  world::WorldConfig out;
  try {
    for (const auto& entry : section) {
      const std::string key = entry.first.as<std::string>();
      if (key == kWorldEnabledKey) continue;
      DEEPER_REQUIRE(entry.second.IsScalar(), "key '", kWorldSection, ".", key, "' must be a single value");
      world::ApplyWorldSetting(key, entry.second.as<std::string>(), &out);
    }
    world::ValidateWorldConfig(out);
  } catch (const Error& e) {
    Fail(config.source(), ": ", e.what());
  }
  return out;
}

}  // namespace deeper
