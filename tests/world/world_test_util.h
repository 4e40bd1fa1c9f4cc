// Helpers shared by the world tests: a scratch directory and a small world.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "world/world_config.h"
#include "common/files.h"

namespace deeper::world::testing {

// A fresh directory under the system's temporary directory, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "deeper-world-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    deeper::TryRemoveTree(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A world small enough for unit tests.
inline WorldConfig SmallConfig(uint64_t seed = 7) {
  WorldConfig config;
  config.seed = seed;
  config.train_users = 40;
  config.eval_users = 30;
  return config;
}

}  // namespace deeper::world::testing
