// Helpers shared by the model tests: fixture paths and temporary directories.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include "common/files.h"

namespace deeper::test {

// tests/data/model/<name> (copied from the HF reference fixtures).
inline std::string ModelData(const std::string& name) { return std::string(DEEPER_TEST_DATA_DIR) + "/model/" + name; }

// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("deeper-model-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                .string();
    deeper::TryRemoveTree(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { deeper::TryRemoveTree(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace deeper::test
