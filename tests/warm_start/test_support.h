// Shared by the warm-start tests: the quickstart world config and temporary directories.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/files.h"
#include "pipeline/config.h"

namespace deeper::testing {

// configs/quickstart.yaml with `overrides`, for a world small enough for unit tests.
inline Config QuickstartWorldConfig(const std::vector<std::string>& overrides) {
  const std::string path = std::string(DEEPER_SOURCE_DIR) + "/configs/quickstart.yaml";
  return Config::FromText(ReadFile(path), "configs/quickstart.yaml", overrides);
}

// A fresh directory under the system's temporary directory.
inline std::string FreshTempDir(const std::string& tag) {
  const auto dir = std::filesystem::temp_directory_path() / ("deeper-" + tag + "-" + std::to_string(::getpid()));
  deeper::TryRemoveTree(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace deeper::testing
