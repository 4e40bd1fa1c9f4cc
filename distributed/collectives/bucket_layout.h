// Which gradients share a flat buffer. Planned once from dtypes and shapes only (never from values or
// from which grads happen to exist), so every rank holding the same parameters plans identical buckets
// and issues identical collectives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace deeper {

struct TensorSpec {
  int dtype = 0;  // any per-dtype key (at::ScalarType as int in practice)
  int64_t element_bytes = 0;
  std::vector<int64_t> shape;
  int64_t numel() const;
};

struct BucketSlot {
  size_t tensor = 0;   // index into the planned list
  int64_t offset = 0;  // first element in the bucket's flat buffer
  int64_t numel = 0;
};

struct Bucket {
  int dtype = 0;
  int64_t element_bytes = 0;
  int64_t numel = 0;
  std::vector<BucketSlot> slots;
  int64_t bytes() const { return numel * element_bytes; }
};

// Buckets of at most `bucket_bytes` (a tensor larger than that gets a bucket of its own), one dtype per
// bucket. Dtypes are taken in order of first appearance, tensors in list order within a dtype.
std::vector<Bucket> PlanBuckets(const std::vector<TensorSpec>& tensors, int64_t bucket_bytes);

// A hash of the list and the bucket size: equal on two ranks iff they plan the same buckets (up to
// hash collisions) for tensors of the same shapes.
uint64_t LayoutSignature(const std::vector<TensorSpec>& tensors, int64_t bucket_bytes);

}  // namespace deeper
