// `deeper inspect FILE.h5`: what a shard holds, for people debugging a run.
#pragma once

#include <ostream>
#include <string>

namespace deeper {

// Prints the row count, attributes, each column's kind and the first `rows` rows. Returns 0.
int InspectShard(const std::string& path, int rows, std::ostream& out);

}  // namespace deeper
