// Helpers shared by the context-building tests: data paths, a scratch directory, error checks.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>

#include "common/error.h"
#include "common/files.h"

namespace deeper::testing {

inline std::string DataPath(const std::string& relative) {
  return std::string(DEEPER_TEST_DATA_DIR) + "/context_building/" + relative;
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "deeper_ctx_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    if (path_.empty()) throw Error("cannot create a scratch directory");
  }
  ~ScratchDir() {
    std::error_code ec;
    deeper::TryRemoveTree(path_);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `body`, expects a deeper::Error whose message contains every piece of `expected`.
inline void ExpectError(const std::function<void()>& body, std::initializer_list<std::string> expected) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one containing '" << *expected.begin() << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& piece : expected) {
      EXPECT_NE(message.find(piece), std::string::npos) << "message '" << message << "' lacks '" << piece << "'";
    }
  }
}

}  // namespace deeper::testing
