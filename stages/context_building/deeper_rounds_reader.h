// The release's round files (test_iterations/test_iteration_K.jsonl): per user, the windows
// W_{K-1}, W_K, W_{K+1} as "I{k}" (item names) and "U{k}" (ratings), plus the user's metadata.
// Reading several rounds merges them per user into W0..W_{maxK+1}.
#pragma once

#include <string>
#include <vector>

#include "stages/context_building/read_options.h"
#include "stages/context_building/user_context.h"

namespace deeper {

// Reads `path`: a directory (every test_iteration_K.jsonl in it, by increasing K) or one such file.
// Users are returned in order of first appearance; windows no file provides are left empty.
// Throws deeper::Error "FILE:LINE: reason" for a bad record (broken JSON, missing or unknown key,
// iteration differing from the file name, non-numeric rating, wrong window length, invalid UTF-8),
// and an error naming the user and both files when two rounds disagree on a window or on metadata.
std::vector<UserContext> ReadDeeperRounds(const std::string& path, const ContextReadOptions& options = {});

}  // namespace deeper
