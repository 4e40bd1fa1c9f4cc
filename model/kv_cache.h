// Preallocated per-layer key/value cache for batched incremental decoding and prefix sharing.
//
// Layout (as HF): all rows share one column axis. For each layer, keys and values are
// [batch, kv_heads, capacity, head_dim] buffers of the model dtype; columns [0, length()) are in use.
// key_mask()[b, c] tells whether column c of row b holds a real token (pads, holes and emptied rows
// are false); masked columns are never attended to. The RoPE position of a token is the number of real
// tokens before it in its row (HF: cumsum(attention_mask) - 1); next_positions()[b] is that count.
//
// Transformer::Forward(ids [B,S], mask [B,S], &cache) appends S columns to every row: column
// length()+j of row b holds ids[b,j] if mask[b,j] != 0, else a masked pad. Lengths are host integers
// and all row bookkeeping stays on the device, so prefill and decode steps never synchronise with the
// host (only Compact() does).
//
// Recipes (B rows, `model` a Transformer, all under c10::NoGradGuard):
//
//  * Generation: left-pad the prompts (mask 0 on the left), then
//      KvCache cache = model.NewCache(B, max_prompt + max_new);
//      at::Tensor h = model.ForwardHidden(prompts, mask, &cache);         // [B,P,H]
//      at::Tensor logits = model.Logits(h.select(1, -1));                  // last column = last token
//      loop: next = pick(logits) [B]; logits = model.Forward(next.view({B,1}), active.view({B,1}),
//                                                            &cache).select(1, 0);
//    A finished row may keep decoding with mask 0 (its column is a masked pad) until refilled.
//
//  * Row refill: prefill the waiting prompt alone (or several together) in a small cache, then move it
//    into the freed row:
//      KvCache one = model.NewCache(1, prompt_len);
//      at::Tensor first_logits = model.Logits(model.ForwardHidden(prompt, {}, &one).select(1, -1));
//      cache.CopyRows(one, {0}, {row});   // right-aligned to cache.length(); old row content dropped
//    Call Compact() now and then: leading columns that no row uses any more are dropped.
//
//  * Shared prefix (rating prompts of one user): compute the prefix once, copy it into many rows,
//    append short suffixes, read the logits you need, roll back, repeat:
//      KvCache prefix = model.NewCache(1, P);  model.ForwardHidden(prefix_ids, {}, &prefix);
//      KvCache batch = model.NewCache(N, P + max_suffix);
//      batch.CopyRows(prefix, std::vector<int64_t>(N, 0), rows_0_to_N);  // expand 1 -> N rows
//      at::Tensor h = model.ForwardHidden(suffix_ids, suffix_mask /*right-padded*/, &batch);
//      ... gather h at each row's last real suffix token, model.Logits(...) ...
//      batch.Truncate(P);   // back to the bare prefix for the next N suffixes
//    Different prefixes per row work the same way: CopyRows from a cache holding several prefixes.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <vector>

#include "model/hf_config.h"

namespace deeper {

class KvCache {
 public:
  // An empty cache (length 0) for `batch` rows and `capacity` columns. Memory:
  // 2 * layers * batch * kv_heads * capacity * head_dim * sizeof(dtype).
  KvCache(const ModelConfig& config, int64_t batch, int64_t capacity, c10::ScalarType dtype, c10::Device device);

  int64_t batch() const { return batch_; }
  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }
  c10::ScalarType dtype() const { return dtype_; }
  c10::Device device() const { return device_; }

  // [batch, capacity] bool; only columns [0, length()) are meaningful.
  const at::Tensor& key_mask() const { return key_mask_; }
  // [batch] int64: RoPE position of each row's next token = number of real tokens in the row.
  const at::Tensor& next_positions() const { return next_pos_; }
  // Views [batch, kv_heads, length(), head_dim] of one layer (RoPE already applied to keys).
  at::Tensor keys(int64_t layer) const;
  at::Tensor values(int64_t layer) const;

  // ---- Row management ---------------------------------------------------------------------------
  // Forget everything: length 0, all rows empty. Buffers are kept.
  void Clear();
  // Empties rows (all their columns masked, position 0); other rows and length() are unchanged.
  void ResetRows(const std::vector<int64_t>& rows);
  // Rolls back to the first `length` columns (<= length()); positions are recomputed from the mask.
  void Truncate(int64_t length);
  // Replaces rows dst_rows[i] with the content of src rows src_rows[i] (src_rows may repeat: that is
  // how one prefix is expanded to many rows). Source columns [0, src.length()) land right-aligned in
  // [L - src.length(), L) with L = max(length(), src.length()); earlier columns of those rows are
  // masked. When src is longer than this cache, every row is first shifted right to make room (one
  // copy of the cache, needs capacity). Same layer count, head shape, dtype and device required.
  void CopyRows(const KvCache& src, const std::vector<int64_t>& src_rows, const std::vector<int64_t>& dst_rows);
  // Keeps rows `rows` in that order (reorder, shrink or duplicate); batch() becomes rows.size().
  // Reallocates the buffers (capacity unchanged).
  void SelectRows(const std::vector<int64_t>& rows);
  // Drops the leading columns that are masked in every row, shifting the rest left; returns how many
  // were dropped. Synchronises with the device once (reads the mask).
  int64_t Compact();

  // ---- Used by Transformer::Forward -----------------------------------------------------------------
  // Begins appending S = new_mask.size(1) columns: records new_mask ([batch, S] bool, on device) in the
  // key mask, returns the RoPE positions [batch, S] of the new tokens and advances next_positions().
  // Throws deeper::Error when the batch differs or length() + S exceeds capacity().
  at::Tensor BeginAppend(const at::Tensor& new_mask);
  // Writes one layer's new keys/values ([batch, kv_heads, S, head_dim]) at columns
  // [length(), length()+S) and returns views of that layer's columns [0, length()+S).
  std::pair<at::Tensor, at::Tensor> Append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  // Completes the append begun by BeginAppend: length() grows by S.
  void EndAppend(int64_t s);

  // ---- Fixed-shape decode steps (CUDA graphs, model/decode_step.h) ----------------------------------
  // When on, a one-token append writes at the device-side column write_column() (always == length())
  // and the layer views and the key mask span the whole capacity (columns past length() are masked), so
  // every decode step runs the same kernels on the same shapes and can be captured once and replayed.
  // Longer appends (prefill) work as before. Same results as the variable-shape form.
  void SetFixedShapeDecode(bool on);
  bool FixedShapeStep(int64_t s) const { return fixed_shape_ && s == 1; }
  const at::Tensor& write_column() const { return write_column_; }
  // A captured step records the host's part of an append without running the device's; a replay runs
  // the device's part only. These keep the host's length in step with the device.
  void SetHostLength(int64_t length) { length_ = length; }
  // Bumped whenever the buffers are reallocated (SelectRows): captured graphs hold their addresses.
  int64_t buffers_version() const { return buffers_version_; }

 private:
  void SyncWriteColumn();
  void ShiftRight(int64_t delta);
  at::Tensor RowIndex(const std::vector<int64_t>& rows, int64_t limit, const char* what) const;

  int64_t batch_;
  int64_t capacity_;
  int64_t length_ = 0;
  int64_t kv_heads_;
  int64_t head_dim_;
  c10::ScalarType dtype_;
  c10::Device device_;
  std::vector<at::Tensor> keys_;    // per layer [batch, kv_heads, capacity, head_dim]
  std::vector<at::Tensor> values_;
  at::Tensor key_mask_;  // [batch, capacity] bool
  at::Tensor next_pos_;  // [batch] int64
  bool fixed_shape_ = false;
  at::Tensor write_column_;  // [1] int64 == length_ while fixed_shape_
  int64_t buffers_version_ = 0;
};

}  // namespace deeper
