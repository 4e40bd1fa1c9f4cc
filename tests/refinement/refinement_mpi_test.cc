// `mpirun -np 2 deeper run` gives the same shards as one rank: every .h5 file of every refinement
// stage (personas, candidates, rewards, pairs, merged DPO pairs) is byte-identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "tests/refinement/refinement_fixture.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;
using namespace refinement_testing;

std::vector<std::string> H5Files(const std::string& run_dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(run_dir)) {
    if (entry.path().extension() == ".h5") files.push_back(fs::relative(entry.path(), run_dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(RefinementMpi, TwoRanksGiveTheShardsOfOne) {
  const std::string dir = MakeTempDir("refinement-mpi");
  const std::string yaml = MakeWorkspace(dir);
  WriteFileAtomic(dir + "/config.yaml", yaml);
  const std::string one = dir + "/one", two = dir + "/two";
  RunChain(WorkspaceConfig(yaml), one);

  const std::string command = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe " +
                              std::string(DEEPER_BIN_DIR) + "/deeper run --config " + dir + "/config.yaml --run-dir " +
                              two + " > " + dir + "/two.log 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_EQ(status, 0) << ReadFile(dir + "/two.log");
  EXPECT_NE(ReadFile(two + "/dpo_iter2/manifest.json").find("\"world_size\": 2"), std::string::npos);

  const auto files = H5Files(one);
  ASSERT_GE(files.size(), 20u);
  for (const auto& file : files) {
    ASSERT_TRUE(fs::exists(two + "/" + file)) << file;
    EXPECT_EQ(Sha256File(one + "/" + file), Sha256File(two + "/" + file)) << file << " differs";
  }
  deeper::TryRemoveTree(dir);
}

}  // namespace
}  // namespace deeper
