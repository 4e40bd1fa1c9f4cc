// MPI counts are `int`: a tensor of more than INT_MAX elements (or bytes) goes out in several calls.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>

#include "common/error.h"

namespace deeper {

// Calls fn(offset, count) for consecutive pieces [offset, offset + count) of [0, total), each at most
// max_count long (max_count <= INT_MAX, so `count` always fits an int).
template <typename Fn>
void ForEachChunk(int64_t total, int64_t max_count, Fn&& fn) {
  DEEPER_REQUIRE(max_count > 0 && max_count <= INT_MAX, "chunk size ", max_count, " outside [1, INT_MAX]");
  for (int64_t offset = 0; offset < total; offset += max_count) {
    fn(offset, static_cast<int>(std::min(max_count, total - offset)));
  }
}

}  // namespace deeper
