#include "distributed/collectives/bucket_layout.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"

namespace deeper {
namespace {

// FNV-1a over 64-bit words: stable across compilers and runs, unlike std::hash.
void HashWord(uint64_t* hash, uint64_t word) {
  for (int byte = 0; byte < 8; ++byte) {
    *hash ^= (word >> (8 * byte)) & 0xffu;
    *hash *= 1099511628211ull;
  }
}

std::vector<int> DtypesInOrderOfAppearance(const std::vector<TensorSpec>& tensors) {
  std::vector<int> order;
  for (const TensorSpec& t : tensors) {
    if (std::find(order.begin(), order.end(), t.dtype) == order.end()) order.push_back(t.dtype);
  }
  return order;
}

}  // namespace

int64_t TensorSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<Bucket> PlanBuckets(const std::vector<TensorSpec>& tensors, int64_t bucket_bytes) {
  DEEPER_REQUIRE(bucket_bytes > 0, "gradient buckets: bucket size must be positive, got ", bucket_bytes);
  std::vector<Bucket> buckets;
  for (int dtype : DtypesInOrderOfAppearance(tensors)) {
    Bucket current;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const TensorSpec& t = tensors[i];
      if (t.dtype != dtype) continue;
      DEEPER_REQUIRE(t.element_bytes > 0, "gradient buckets: tensor ", i, " has element size ", t.element_bytes);
      const int64_t bytes = t.numel() * t.element_bytes;
      if (!current.slots.empty() && current.bytes() + bytes > bucket_bytes) {
        buckets.push_back(std::move(current));
        current = Bucket();
      }
      current.dtype = dtype;
      current.element_bytes = t.element_bytes;
      current.slots.push_back({i, current.numel, t.numel()});
      current.numel += t.numel();
    }
    if (!current.slots.empty()) buckets.push_back(std::move(current));
  }
  return buckets;
}

uint64_t LayoutSignature(const std::vector<TensorSpec>& tensors, int64_t bucket_bytes) {
  uint64_t hash = 14695981039346656037ull;
  HashWord(&hash, static_cast<uint64_t>(bucket_bytes));
  HashWord(&hash, tensors.size());
  for (const TensorSpec& t : tensors) {
    HashWord(&hash, static_cast<uint64_t>(t.dtype));
    HashWord(&hash, t.shape.size());
    for (int64_t d : t.shape) HashWord(&hash, static_cast<uint64_t>(d));
  }
  return hash;
}

}  // namespace deeper
