// Safetensors <-> at::Tensor, and HF checkpoint directories (config.json + model.safetensors, or shards
// listed by model.safetensors.index.json's weight_map).
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/safetensors.h"

namespace deeper {

// Copies one entry of a mapped file into a new CPU tensor of the file's dtype (owned memory, so the
// file may be closed afterwards).
at::Tensor ToTensor(const SafetensorsFile& file, const StTensorInfo& info);
// Same, looked up by name; throws deeper::Error naming the file and tensor when absent.
at::Tensor ReadTensor(const SafetensorsFile& file, const std::string& name);

// Every tensor of a safetensors file, by name (CPU, file dtypes).
std::map<std::string, at::Tensor> LoadSafetensors(const std::string& path);

// Writes tensors (any device; made contiguous on CPU) atomically; keys sorted, 8-byte aligned header.
// Supported dtypes: float32, float16, bfloat16, int64, int32, uint8, bool.
void SaveSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// The weights of a checkpoint directory: `model.safetensors`, or the files of
// `model.safetensors.index.json` (each opened once, memory-mapped).
class CheckpointReader {
 public:
  // Throws deeper::Error when neither layout is present, the index is malformed or names a missing
  // file, or a shard does not hold the tensors the index assigns to it.
  explicit CheckpointReader(const std::string& dir);
  ~CheckpointReader();
  CheckpointReader(CheckpointReader&&) noexcept;

  const std::string& dir() const { return dir_; }
  // All tensor names, sorted.
  std::vector<std::string> Names() const;
  bool Has(const std::string& name) const;
  // Shape and dtype without reading data; throws naming the checkpoint and tensor when absent.
  const StTensorInfo& Info(const std::string& name) const;
  // CPU tensor in the file's dtype; throws "<dir>: tensor '<name>' not found" when absent.
  at::Tensor Read(const std::string& name) const;
  // Copies a tensor straight from the mapping into `dst` (any dtype/device, converted), after checking
  // that the shapes agree; throws naming the checkpoint, the tensor and both shapes otherwise.
  void CopyInto(const std::string& name, at::Tensor& dst) const;

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
};

// Writes tensors as a hub checkpoint's weights in `dir`: one model.safetensors when the total is at
// most `max_shard_bytes`, else model-0000i-of-0000n.safetensors + model.safetensors.index.json.
// Each file is written atomically; stale shard files of another layout are not removed.
void SaveCheckpointWeights(const std::string& dir, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                           int64_t max_shard_bytes = int64_t{5} << 30);

}  // namespace deeper
