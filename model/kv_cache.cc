#include "model/kv_cache.h"

#include <ATen/ATen.h>

#include <set>

#include "common/error.h"

namespace deeper {

KvCache::KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, c10::ScalarType dtype,
                 c10::Device device)
    : batch_(batch),
      capacity_(capacity),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      dtype_(dtype),
      device_(device) {
  DEEPER_REQUIRE(batch > 0 && capacity > 0, "KvCache: batch (", batch, ") and capacity (", capacity,
                 ") must be positive");
  // Zeros, not empty: masked columns are multiplied by zero probabilities, and garbage NaNs would
  // survive that multiplication.
  const auto options = at::TensorOptions().dtype(dtype).device(device);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    keys_.push_back(at::zeros({batch, kv_heads_, capacity, head_dim_}, options));
    values_.push_back(at::zeros({batch, kv_heads_, capacity, head_dim_}, options));
  }
  key_mask_ = at::zeros({batch, capacity}, options.dtype(at::kBool));
  next_pos_ = at::zeros({batch}, options.dtype(at::kLong));
}

at::Tensor KvCache::keys(int64_t layer) const { return keys_.at(static_cast<size_t>(layer)).narrow(2, 0, length_); }
at::Tensor KvCache::values(int64_t layer) const {
  return values_.at(static_cast<size_t>(layer)).narrow(2, 0, length_);
}

// Row indices as a device tensor. On CUDA the host buffer is pinned and copied asynchronously, so
// row management does not wait for the kernels already queued.
at::Tensor KvCache::RowIndex(const std::vector<int64_t>& rows, int64_t limit, const char* what) const {
  for (int64_t r : rows) DEEPER_REQUIRE(r >= 0 && r < limit, "KvCache::", what, ": row ", r, " is outside [0, ", limit, ")");
  at::Tensor index = at::tensor(rows, at::TensorOptions().dtype(at::kLong));
  if (!device_.is_cuda()) return index;
  return index.pin_memory().to(device_, /*non_blocking=*/true);
}

// ---- Appending (Transformer::Forward) --------------------------------------------------------------------

at::Tensor KvCache::BeginAppend(const at::Tensor& new_mask) {
  DEEPER_REQUIRE(new_mask.dim() == 2 && new_mask.size(0) == batch_, "KvCache: forward batch of ", new_mask.size(0),
                 " rows, the cache has ", batch_);
  const int64_t s = new_mask.size(1);
  DEEPER_REQUIRE(length_ + s <= capacity_, "KvCache: appending ", s, " tokens to ", length_,
                 " exceeds the capacity of ", capacity_, " (Compact() or a larger cache)");
  at::Tensor valid = new_mask.to(device_, at::kBool);
  if (FixedShapeStep(s)) key_mask_.index_copy_(1, write_column_, valid);
  else key_mask_.narrow(1, length_, s).copy_(valid);
  at::Tensor counts = valid.to(at::kLong).cumsum(1);
  at::Tensor positions = (next_pos_.unsqueeze(1) + counts - 1).clamp_min(0);
  next_pos_.add_(counts.select(1, s - 1));
  return positions;
}

std::pair<at::Tensor, at::Tensor> KvCache::Append(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
  DEEPER_REQUIRE(layer >= 0 && layer < num_layers(), "KvCache: layer ", layer, " of ", num_layers());
  const int64_t s = k.size(2);
  DEEPER_REQUIRE(k.size(0) == batch_ && k.size(1) == kv_heads_ && k.size(3) == head_dim_ && v.sizes() == k.sizes(),
                 "KvCache: keys/values of shape ", k.sizes(), " do not fit the cache");
  at::Tensor& keys = keys_[static_cast<size_t>(layer)];
  at::Tensor& values = values_[static_cast<size_t>(layer)];
  if (FixedShapeStep(s)) {
    keys.index_copy_(2, write_column_, k);
    values.index_copy_(2, write_column_, v);
    return {keys, values};
  }
  keys.narrow(2, length_, s).copy_(k);
  values.narrow(2, length_, s).copy_(v);
  return {keys.narrow(2, 0, length_ + s), values.narrow(2, 0, length_ + s)};
}

void KvCache::EndAppend(int64_t s) {
  length_ += s;
  // A device-side increment, not a fill: a captured step must advance the column on every replay.
  if (FixedShapeStep(s)) write_column_.add_(1);
  else SyncWriteColumn();
}

// ---- Fixed-shape decode steps --------------------------------------------------------------------------

void KvCache::SetFixedShapeDecode(bool on) {
  fixed_shape_ = on;
  if (on && !write_column_.defined()) write_column_ = at::zeros({1}, next_pos_.options());
  SyncWriteColumn();
}

void KvCache::SyncWriteColumn() {
  if (fixed_shape_) write_column_.fill_(length_);
}

// ---- Row management ----------------------------------------------------------------------------------------
// Invariant: key_mask_ columns at or after length_ are all false.

void KvCache::Clear() {
  length_ = 0;
  key_mask_.zero_();
  next_pos_.zero_();
  SyncWriteColumn();
}

void KvCache::ResetRows(const std::vector<int64_t>& rows) {
  if (rows.empty()) return;
  at::Tensor index = RowIndex(rows, batch_, "ResetRows");
  key_mask_.index_fill_(0, index, false);
  next_pos_.index_fill_(0, index, 0);
}

void KvCache::Truncate(int64_t length) {
  DEEPER_REQUIRE(length >= 0 && length <= length_, "KvCache::Truncate: ", length, " is outside [0, ", length_, "]");
  key_mask_.narrow(1, length, length_ - length).zero_();
  length_ = length;
  next_pos_.copy_(key_mask_.narrow(1, 0, length).sum(1));
  SyncWriteColumn();
}

void KvCache::ShiftRight(int64_t delta) {
  DEEPER_REQUIRE(length_ + delta <= capacity_, "KvCache::CopyRows: needs ", length_ + delta,
                 " columns, capacity is ", capacity_);
  if (length_ > 0) {
    // Source and destination overlap: copy through a temporary.
    for (size_t l = 0; l < keys_.size(); ++l) {
      keys_[l].narrow(2, delta, length_).copy_(keys_[l].narrow(2, 0, length_).clone());
      values_[l].narrow(2, delta, length_).copy_(values_[l].narrow(2, 0, length_).clone());
    }
    key_mask_.narrow(1, delta, length_).copy_(key_mask_.narrow(1, 0, length_).clone());
    key_mask_.narrow(1, 0, delta).zero_();
  }
  length_ += delta;
  SyncWriteColumn();
}

void KvCache::CopyRows(const KvCache& src, const std::vector<int64_t>& src_rows, const std::vector<int64_t>& dst_rows) {
  DEEPER_REQUIRE(src_rows.size() == dst_rows.size(), "KvCache::CopyRows: ", src_rows.size(), " source rows but ",
                 dst_rows.size(), " destination rows");
  DEEPER_REQUIRE(std::set<int64_t>(dst_rows.begin(), dst_rows.end()).size() == dst_rows.size(),
                 "KvCache::CopyRows: destination rows repeat");
  DEEPER_REQUIRE(src.num_layers() == num_layers() && src.kv_heads_ == kv_heads_ && src.head_dim_ == head_dim_ &&
                     src.dtype_ == dtype_ && src.device_ == device_,
                 "KvCache::CopyRows: caches of different models, dtypes or devices");
  if (dst_rows.empty()) return;
  const int64_t n = src.length_;
  if (n > length_) ShiftRight(n - length_);
  const int64_t offset = length_ - n;
  at::Tensor from = src.RowIndex(src_rows, src.batch_, "CopyRows");
  at::Tensor to = RowIndex(dst_rows, batch_, "CopyRows");
  for (size_t l = 0; l < keys_.size(); ++l) {
    keys_[l].narrow(2, offset, n).index_copy_(0, to, src.keys_[l].narrow(2, 0, n).index_select(0, from));
    values_[l].narrow(2, offset, n).index_copy_(0, to, src.values_[l].narrow(2, 0, n).index_select(0, from));
  }
  at::Tensor rows_mask = at::cat({at::zeros({static_cast<int64_t>(src_rows.size()), offset}, key_mask_.options()),
                                  src.key_mask_.narrow(1, 0, n).index_select(0, from)},
                                 1);
  key_mask_.narrow(1, 0, length_).index_copy_(0, to, rows_mask);
  next_pos_.index_copy_(0, to, src.next_pos_.index_select(0, from));
}

void KvCache::SelectRows(const std::vector<int64_t>& rows) {
  DEEPER_REQUIRE(!rows.empty(), "KvCache::SelectRows: no rows");
  at::Tensor index = RowIndex(rows, batch_, "SelectRows");
  for (size_t l = 0; l < keys_.size(); ++l) {
    keys_[l] = keys_[l].index_select(0, index);
    values_[l] = values_[l].index_select(0, index);
  }
  key_mask_ = key_mask_.index_select(0, index);
  next_pos_ = next_pos_.index_select(0, index);
  batch_ = static_cast<int64_t>(rows.size());
  ++buffers_version_;
}

int64_t KvCache::Compact() {
  if (length_ == 0) return 0;
  at::Tensor used = key_mask_.narrow(1, 0, length_).any(0);  // [length]
  // argmax returns the first maximal index: the first column some row still uses.
  const int64_t first = used.any().item<bool>() ? used.to(at::kLong).argmax().item<int64_t>() : length_;
  if (first == 0) return 0;
  const int64_t keep = length_ - first;
  if (keep > 0) {
    for (size_t l = 0; l < keys_.size(); ++l) {
      keys_[l].narrow(2, 0, keep).copy_(keys_[l].narrow(2, first, keep).clone());
      values_[l].narrow(2, 0, keep).copy_(values_[l].narrow(2, first, keep).clone());
    }
    key_mask_.narrow(1, 0, keep).copy_(key_mask_.narrow(1, first, keep).clone());
  }
  key_mask_.narrow(1, keep, first).zero_();
  length_ = keep;
  SyncWriteColumn();
  return first;
}

}  // namespace deeper
