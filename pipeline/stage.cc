#include "pipeline/stage.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/files.h"
#include "pipeline/manifest.h"
#include "pipeline/progress.h"

namespace deeper {

std::string ShardFileName(int shard, int num_shards) {
  char name[64];
  std::snprintf(name, sizeof(name), "shard-%05d-of-%05d.h5", shard, num_shards);
  return name;
}

std::string StageContext::ShardPath(int shard) const {
  return (std::filesystem::path(stage_dir) / ShardFileName(shard, num_shards)).string();
}

std::vector<std::string> StageContext::InputShards(const std::string& stage) const {
  auto it = input_dirs.find(stage);
  DEEPER_REQUIRE(it != input_dirs.end(), "stage reads '", stage, "', which is not among its declared inputs");
  Manifest manifest;
  DEEPER_REQUIRE(ReadManifest(it->second, &manifest), it->second, ": stage '", stage, "' has not completed");
  std::vector<std::string> shards;
  for (const auto& f : manifest.files) {
    if (f.file.rfind("shard-", 0) == 0 && f.file.size() > 3 && f.file.substr(f.file.size() - 3) == ".h5") {
      shards.push_back((std::filesystem::path(it->second) / f.file).string());
    }
  }
  return shards;
}

int Stage::NumShards(const Config& config) const {
  const std::string key = Name() + ".num_shards";
  int n = config.Has(key) ? config.Get<int>(key) : 1;
  DEEPER_REQUIRE(n >= 1, config.source(), ": ", key, " must be at least 1");
  return n;
}

namespace {
// Test hook: DEEPER_TEST_SHARD_DELAY_MS slows every shard down so that kill-and-resume tests can
// interrupt a stage in the middle deterministically. Unset in normal use.
void DelayForTests() {
  static const int delay_ms = [] {
    const char* value = std::getenv("DEEPER_TEST_SHARD_DELAY_MS");
    return value ? std::atoi(value) : 0;
  }();
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}
}  // namespace

void Stage::Run(StageContext& context) {
  Prepare(context);
  const auto mine = ShardsOfRank(context.num_shards, context.world.rank(), context.world.size());
  Progress progress(Name(), static_cast<int64_t>(mine.size()), "shards", context.world.is_root());
  for (int shard : mine) {
    // A shard on disk is complete: it was renamed into place only after being fully written.
    if (!FileExists(context.ShardPath(shard))) {
      RunShard(context, shard);
      DelayForTests();
    }
    progress.Advance();
  }
  progress.Finish();
}

}  // namespace deeper
