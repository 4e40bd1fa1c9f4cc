#include "model/checkpoint.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/files.h"

// Safetensors stores little-endian bytes; tensors are memcpy'd, so the host must be little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace deeper {
namespace {

namespace fs = std::filesystem;

at::ScalarType ScalarOf(StDtype dtype) {
  switch (dtype) {
    case StDtype::kF32: return at::kFloat;
    case StDtype::kF16: return at::kHalf;
    case StDtype::kBF16: return at::kBFloat16;
    case StDtype::kI64: return at::kLong;
    case StDtype::kI32: return at::kInt;
    case StDtype::kU8: return at::kByte;
    case StDtype::kBool: return at::kBool;
  }
  Fail("safetensors: unhandled dtype");
}

StDtype StDtypeOf(at::ScalarType type, const std::string& what) {
  switch (type) {
    case at::kFloat: return StDtype::kF32;
    case at::kHalf: return StDtype::kF16;
    case at::kBFloat16: return StDtype::kBF16;
    case at::kLong: return StDtype::kI64;
    case at::kInt: return StDtype::kI32;
    case at::kByte: return StDtype::kU8;
    case at::kBool: return StDtype::kBool;
    default: Fail(what, ": dtype ", c10::toString(type), " cannot be written to safetensors here");
  }
}

std::string ShapeString(at::IntArrayRef shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

// A read-only view of the mapped bytes. BOOL bytes other than 0/1 would be invalid bools, so BOOL is
// viewed as U8 and compared against zero by the caller.
at::Tensor MappedView(const SafetensorsFile& file, const StTensorInfo& info) {
  const at::ScalarType type = info.dtype == StDtype::kBool ? at::kByte : ScalarOf(info.dtype);
  void* data = const_cast<uint8_t*>(file.Data(info));  // Never written: only read by copies.
  return at::from_blob(data, info.shape, at::TensorOptions().dtype(type));
}

}  // namespace

at::Tensor ToTensor(const SafetensorsFile& file, const StTensorInfo& info) {
  at::Tensor view = MappedView(file, info);
  if (info.dtype == StDtype::kBool) return view.ne(0);
  return view.clone();
}

at::Tensor ReadTensor(const SafetensorsFile& file, const std::string& name) { return ToTensor(file, file.Get(name)); }

std::map<std::string, at::Tensor> LoadSafetensors(const std::string& path) {
  SafetensorsFile file = SafetensorsFile::Open(path);
  std::map<std::string, at::Tensor> out;
  for (const auto& info : file.tensors()) out[info.name] = ToTensor(file, info);
  return out;
}

void SaveSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> keep;  // CPU contiguous copies whose bytes are written.
  std::vector<StWriteEntry> entries;
  for (const auto& [name, tensor] : tensors) {
    DEEPER_REQUIRE(tensor.defined(), path, ": tensor '", name, "' is undefined");
    at::Tensor cpu = tensor.detach().to(at::kCPU).contiguous();
    keep.push_back(cpu);
    StWriteEntry e;
    e.name = name;
    e.dtype = StDtypeOf(cpu.scalar_type(), path + ": tensor '" + name + "'");
    e.shape = cpu.sizes().vec();
    e.data = cpu.data_ptr();
    e.nbytes = cpu.nbytes();
    entries.push_back(std::move(e));
  }
  WriteSafetensors(path, std::move(entries), metadata);
}

// ---- Checkpoint directories ---------------------------------------------------------------------------

CheckpointReader::CheckpointReader(const std::string& dir) : dir_(dir) {
  const fs::path root(dir);
  const fs::path index = root / "model.safetensors.index.json";
  const fs::path single = root / "model.safetensors";
  if (fs::is_regular_file(root)) {  // A bare .safetensors file is accepted too.
    files_.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::Open(dir)));
  } else if (fs::exists(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ReadFile(index.string()));
    } catch (const nlohmann::json::exception& e) {
      Fail(index.string(), ": not valid JSON (", e.what(), ")");
    }
    DEEPER_REQUIRE(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(), index.string(),
                   ": missing 'weight_map' object");
    std::map<std::string, const SafetensorsFile*> opened;
    for (const auto& [name, shard] : j["weight_map"].items()) {
      DEEPER_REQUIRE(shard.is_string(), index.string(), ": weight_map entry '", name, "' is not a file name");
      const std::string file = shard.get<std::string>();
      DEEPER_REQUIRE(!file.empty() && file.find('/') == std::string::npos && file != "." && file != "..",
                     index.string(), ": weight_map entry '", name, "' names '", file, "', not a file in ", dir);
      if (!opened.count(file)) {
        files_.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::Open((root / file).string())));
        opened[file] = files_.back().get();
      }
      DEEPER_REQUIRE(opened[file]->Find(name) != nullptr, (root / file).string(), ": tensor '", name,
                     "' listed in the index is not in this shard");
      where_[name] = opened[file];
    }
    return;
  } else if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(SafetensorsFile::Open(single.string())));
  } else {
    Fail(dir, ": no model.safetensors or model.safetensors.index.json (not an HF checkpoint directory?)");
  }
  for (const auto& info : files_[0]->tensors()) where_[info.name] = files_[0].get();
}

CheckpointReader::~CheckpointReader() = default;
CheckpointReader::CheckpointReader(CheckpointReader&&) noexcept = default;

std::vector<std::string> CheckpointReader::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, file] : where_) names.push_back(name);
  return names;
}

bool CheckpointReader::Has(const std::string& name) const { return where_.count(name) > 0; }

const StTensorInfo& CheckpointReader::Info(const std::string& name) const {
  auto it = where_.find(name);
  DEEPER_REQUIRE(it != where_.end(), dir_, ": tensor '", name, "' not found");
  return it->second->Get(name);
}

at::Tensor CheckpointReader::Read(const std::string& name) const {
  auto it = where_.find(name);
  DEEPER_REQUIRE(it != where_.end(), dir_, ": tensor '", name, "' not found");
  return ReadTensor(*it->second, name);
}

void CheckpointReader::CopyInto(const std::string& name, at::Tensor& dst) const {
  auto it = where_.find(name);
  DEEPER_REQUIRE(it != where_.end(), dir_, ": tensor '", name, "' not found");
  const StTensorInfo& info = it->second->Get(name);
  DEEPER_REQUIRE(dst.sizes().vec() == info.shape, it->second->path(), ": tensor '", name, "' has shape ",
                 ShapeString(info.shape), ", expected ", ShapeString(dst.sizes()));
  DEEPER_REQUIRE(info.dtype != StDtype::kBool, it->second->path(), ": tensor '", name, "' is BOOL, expected numbers");
  c10::NoGradGuard no_grad;
  dst.copy_(MappedView(*it->second, info));
}

// ---- Writing checkpoints -------------------------------------------------------------------------------

void SaveCheckpointWeights(const std::string& dir, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                           int64_t max_shard_bytes) {
  MakeDirs(dir);
  // Greedy packing in the given order keeps each layer's tensors together, as HF's writer does.
  std::vector<std::map<std::string, at::Tensor>> shards(1);
  int64_t shard_bytes = 0, total = 0;
  for (const auto& [name, tensor] : tensors) {
    const int64_t bytes = static_cast<int64_t>(tensor.nbytes());
    if (shard_bytes > 0 && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back()[name] = tensor;
    shard_bytes += bytes;
    total += bytes;
  }
  const fs::path root(dir);
  if (shards.size() == 1) {
    SaveSafetensors((root / "model.safetensors").string(), shards[0]);
    return;
  }
  nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", nlohmann::json::object()}};
  for (size_t i = 0; i < shards.size(); ++i) {
    char file[64];
    std::snprintf(file, sizeof(file), "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    SaveSafetensors((root / file).string(), shards[i]);
    for (const auto& [name, tensor] : shards[i]) index["weight_map"][name] = file;
  }
  WriteFileAtomic((root / "model.safetensors.index.json").string(), index.dump(2) + "\n");
}

}  // namespace deeper
