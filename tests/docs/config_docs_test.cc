// Every config key in configs/defaults.yaml is documented in README.md's configuration reference.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <functional>

#include "common/files.h"

namespace deeper {
namespace {

void CollectKeys(const YAML::Node& node, const std::string& prefix, std::vector<std::string>* keys) {
  for (const auto& entry : node) {
    const std::string path = prefix.empty() ? entry.first.as<std::string>() : prefix + "." + entry.first.as<std::string>();
    if (entry.second.IsMap() && entry.second.size() > 0) {
      CollectKeys(entry.second, path, keys);
    } else {
      keys->push_back(path);
    }
  }
}

TEST(ConfigDocs, EveryKeyIsInTheReadme) {
  const std::string root = DEEPER_SOURCE_DIR;
  const std::string readme = ReadFile(root + "/README.md");
  std::vector<std::string> keys;
  CollectKeys(YAML::LoadFile(root + "/configs/defaults.yaml"), "", &keys);
  ASSERT_GT(keys.size(), 5u);
  for (const auto& key : keys) {
    EXPECT_NE(readme.find("`" + key + "`"), std::string::npos) << "README.md does not document `" << key << "`";
  }
}

}  // namespace
}  // namespace deeper
