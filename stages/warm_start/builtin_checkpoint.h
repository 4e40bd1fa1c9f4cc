// The refiner checkpoint trained for the world of configs/quickstart.yaml, compiled into the binary so
// that `deeper run` needs nothing beside itself. Its files are data/world/quickstart_refiner/;
// tools/world/train_quickstart_refiner.sh trains them again (world/README.md says how and why).
#pragma once

#include <string_view>

namespace deeper {

struct BuiltinCheckpointFiles {
  std::string_view config_json;
  std::string_view model_safetensors;
  std::string_view tokenizer_json;
};

const BuiltinCheckpointFiles& BuiltinQuickstartRefiner();

}  // namespace deeper
