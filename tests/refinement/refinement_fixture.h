// Shared pieces of the refinement tests: tiny random llama checkpoints that speak the Llama-3
// tokenizer (tests/data/tokenizer/llama3), a few users of two domains of data/sample/, and a config
// that runs the whole training chain on the CPU in seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/runner.h"

namespace deeper::refinement_testing {

// A fresh empty directory under the system temp dir.
std::string MakeTempDir(const std::string& tag);

// The Llama-3 tokenizer directory of the test data.
std::string TokenizerDir();

// A random llama (vocab 128256 to match the tokenizer, hidden 16, 2 layers) in hub layout.
void MakeTinyLlama(const std::string& dir, uint64_t seed);

// Writes the header and the first `users` users of data/sample/<sample_csv> to `out`.
void WriteSampleUsers(const std::string& sample_csv, int users, const std::string& out);

// A workspace with the two models and two CSVs (3 food_com, 3 movielens_20m users) under `dir`, and
// the YAML of a config running everything on it (N = 4 candidates, 1 DPO step per iteration).
std::string MakeWorkspace(const std::string& dir);

Config WorkspaceConfig(const std::string& yaml, const std::vector<std::string>& overrides = {});

// Runs context_building and the refinement stages in-process.
std::vector<StagePlan> RunChain(const Config& config, const std::string& run_dir);

// action of every stage, "name=action" in run order.
std::vector<std::string> Actions(const std::vector<StagePlan>& plans);

}  // namespace deeper::refinement_testing
