#include "distributed/collectives/gradient_bucketer.h"

#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros_like.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <sstream>

#include "common/error.h"

namespace deeper {
namespace {

std::vector<TensorSpec> SpecsOf(const std::vector<at::Tensor>& params) {
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor& p = params[i];
    DEEPER_REQUIRE(p.defined(), "GradientBucketer: parameter ", i, " is undefined");
    DEEPER_REQUIRE(p.device() == params[0].device(), "GradientBucketer: parameter ", i, " is on ", p.device().str(),
                   " but parameter 0 is on ", params[0].device().str(), " (one device per rank)");
    specs.push_back({static_cast<int>(p.scalar_type()), static_cast<int64_t>(p.element_size()), p.sizes().vec()});
  }
  return specs;
}

std::string Describe(const at::Tensor& t) {
  std::ostringstream out;
  out << c10::toString(t.scalar_type()) << " " << t.sizes() << " on " << t.device().str();
  return out.str();
}

}  // namespace

GradientBucketer::GradientBucketer(Communicator& comm, std::vector<at::Tensor> params, int64_t bucket_bytes)
    : comm_(comm), params_(std::move(params)) {
  DEEPER_REQUIRE(!params_.empty(), "GradientBucketer on rank ", comm_.rank(), ": no parameters");
  const std::vector<TensorSpec> specs = SpecsOf(params_);
  buckets_ = PlanBuckets(specs, bucket_bytes);
  RequireSameLayoutOnEveryRank(LayoutSignature(specs, bucket_bytes));
  AllocateStaging();
}

// Ranks with different parameter lists would all-reduce buffers of different sizes: MPI and NCCL then
// hang or corrupt memory. Every rank compares with rank 0 and all of them learn whether any differs, so
// they throw together instead of some entering the next collective alone.
void GradientBucketer::RequireSameLayoutOnEveryRank(uint64_t signature) {
  const at::TensorOptions options = at::TensorOptions().dtype(at::kLong).device(params_[0].device());
  at::Tensor root_signature = at::full({1}, static_cast<int64_t>(signature), options);
  comm_.Broadcast(root_signature, 0);
  const bool differs = root_signature.item<int64_t>() != static_cast<int64_t>(signature);
  at::Tensor ranks_differing = at::full({1}, differs ? 1 : 0, options);
  comm_.AllReduceSum(ranks_differing);
  const int64_t count = ranks_differing.item<int64_t>();
  DEEPER_REQUIRE(count == 0, "GradientBucketer on rank ", comm_.rank(), ": ", count, " of ", comm_.size(),
                 " ranks hold parameters (dtypes, shapes, order) or a bucket size different from rank 0's",
                 differs ? ", this rank among them" : "");
}

void GradientBucketer::AllocateStaging() {
  std::map<int, int64_t> largest;
  for (const Bucket& bucket : buckets_) {
    if (bucket.slots.size() > 1) largest[bucket.dtype] = std::max(largest[bucket.dtype], bucket.numel);
  }
  for (const auto& [dtype, numel] : largest) {
    staging_[dtype] = at::empty({numel}, params_[0].options().dtype(static_cast<at::ScalarType>(dtype)));
  }
}

// The param's grad, checked against the param; a missing one becomes zeros so that this rank still
// contributes to (and receives) the bucket's all-reduce like every other rank.
at::Tensor& GradientBucketer::GradOf(size_t index) {
  at::Tensor& param = params_[index];
  at::Tensor& grad = param.mutable_grad();
  if (!grad.defined()) {
    grad = at::zeros_like(param, at::MemoryFormat::Contiguous);
    return grad;
  }
  DEEPER_REQUIRE(grad.scalar_type() == param.scalar_type() && grad.sizes() == param.sizes() &&
                     grad.device() == param.device() && grad.layout() == at::kStrided,
                 "GradientBucketer on rank ", comm_.rank(), ": parameter ", index, " is ", Describe(param),
                 " but its grad is ", Describe(grad), grad.layout() == at::kStrided ? "" : " (sparse)");
  return grad;
}

void GradientBucketer::ReduceBucket(const Bucket& bucket) {
  if (bucket.slots.size() == 1) {
    comm_.AllReduceMean(GradOf(bucket.slots[0].tensor));  // no packing needed
    return;
  }
  at::Tensor flat = staging_.at(bucket.dtype).narrow(0, 0, bucket.numel);
  for (const BucketSlot& slot : bucket.slots) {
    flat.narrow(0, slot.offset, slot.numel).view(params_[slot.tensor].sizes()).copy_(GradOf(slot.tensor));
  }
  comm_.AllReduceMean(flat);
  for (const BucketSlot& slot : bucket.slots) {
    GradOf(slot.tensor).copy_(flat.narrow(0, slot.offset, slot.numel).view(params_[slot.tensor].sizes()));
  }
}

void GradientBucketer::AllReduceMeanGradients() {
  c10::NoGradGuard no_grad;
  for (const Bucket& bucket : buckets_) ReduceBucket(bucket);
}

void BroadcastParameters(Communicator& comm, const std::vector<at::Tensor>& params) {
  c10::NoGradGuard no_grad;  // parameters are leaves that require grad: writing them must not be recorded
  for (size_t i = 0; i < params.size(); ++i) {
    DEEPER_REQUIRE(params[i].defined(), "BroadcastParameters on rank ", comm.rank(), ": parameter ", i,
                   " is undefined");
    at::Tensor handle = params[i];  // shares the storage: the broadcast writes the parameter itself
    comm.Broadcast(handle, 0);
  }
}

}  // namespace deeper
