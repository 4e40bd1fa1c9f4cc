// common/files.h's RemoveTree: what std::filesystem::remove_all did, without binding to libtorch's copy.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "common/files.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

TEST(RemoveTree, RemovesNestedDirectoriesFilesAndLinksButNotLinkTargets) {
  const fs::path root = fs::temp_directory_path() / ("remove_tree_test_" + std::to_string(::getpid()));
  const fs::path outside = root.string() + "_outside";
  TryRemoveTree(root);
  TryRemoveTree(outside);
  MakeDirs((root / "a" / "b" / "c").string());
  MakeDirs((root / "empty").string());
  MakeDirs(outside.string());
  WriteFileAtomic((root / "a" / "x.txt").string(), "x");
  WriteFileAtomic((root / "a" / "b" / "c" / "y.bin").string(), std::string(1000, 'y'));
  WriteFileAtomic((outside / "kept.txt").string(), "kept");
  fs::create_directory_symlink(outside, root / "a" / "link");

  RemoveTree(root.string());
  EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
  EXPECT_TRUE(fs::exists(outside / "kept.txt")) << "the link's target must survive";

  // A missing path is no error; a plain file is removed too.
  RemoveTree(root.string());
  EXPECT_TRUE(TryRemoveTree(root.string()));
  RemoveTree((outside / "kept.txt").string());
  EXPECT_FALSE(fs::exists(outside / "kept.txt"));
  RemoveTree(outside.string());
  EXPECT_FALSE(fs::exists(outside));
}

TEST(RemoveTree, NamesWhatItCouldNotRemove) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may remove entries of read-only directories";
  const fs::path root = fs::temp_directory_path() / ("remove_tree_locked_" + std::to_string(::getpid()));
  TryRemoveTree(root);
  MakeDirs((root / "locked").string());
  WriteFileAtomic((root / "locked" / "f").string(), "f");
  ::chmod((root / "locked").c_str(), 0500);
  try {
    RemoveTree(root.string());
    ADD_FAILURE() << "removed a file of a read-only directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((root / "locked" / "f").string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(TryRemoveTree(root.string()));
  ::chmod((root / "locked").c_str(), 0700);
  EXPECT_TRUE(TryRemoveTree(root.string()));
}

}  // namespace
}  // namespace deeper
