// Round files in the release's layout (test_iteration_K.jsonl): per user, one JSON object
// {"id", "iteration", "item_type", "split", "dataset_name", "source_url",
//  "U{K-1}", "U{K}", "U{K+1}", "I{K-1}", "I{K}", "I{K+1}"} written as Python's json.dumps does, each
// line ending in "\r\n" as in the release.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "stages/context_building/user_context.h"

namespace deeper {

// Appends the line of round `round` (>= 1) for `user`. Returns false and appends nothing when the
// user lacks one of the windows round-1, round, round+1.
bool AppendRoundLine(const UserContext& user, int round, std::string* out);

// The whole round file: one line per user who has the three windows, in input order.
// `*written` (when given) receives the number of lines.
std::string FormatRoundJsonl(const std::vector<UserContext>& users, int round, size_t* written = nullptr);

}  // namespace deeper
