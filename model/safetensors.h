// Safetensors files without libtorch: a validating header parser, a memory-mapped reader and a
// streaming writer. Torch-free on purpose so the parser can be fuzzed cheaply; model/checkpoint.h
// converts entries to at::Tensor.
//
// Format: u64 little-endian header length N, N bytes of UTF-8 JSON (may be space-padded), then the data
// buffer. Each JSON entry is {"dtype", "shape", "data_offsets": [begin, end]} relative to the buffer;
// the entries tile the buffer exactly (contiguous, no holes, no overlap). An optional "__metadata__"
// entry is a string -> string map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace deeper {

enum class StDtype { kF32, kF16, kBF16, kI64, kI32, kU8, kBool };

// "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL".
const char* StDtypeName(StDtype dtype);
// Bytes per element.
size_t StDtypeSize(StDtype dtype);
// Parses a dtype name; false when it is not one of the supported names.
bool ParseStDtype(const std::string& name, StDtype* dtype);

// One tensor entry of a header. Offsets are relative to the start of the data buffer.
struct StTensorInfo {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;

  uint64_t numel() const;  // Product of shape (1 for a scalar).
  uint64_t nbytes() const { return end - begin; }
};

struct StHeader {
  std::map<std::string, std::string> metadata;  // "__metadata__", empty when absent.
  std::vector<StTensorInfo> tensors;            // In data order (ascending offsets).
  uint64_t data_start = 0;                      // File offset of the data buffer (8 + N).
};

// Parses and validates the header of a complete safetensors image `bytes[0, size)`.
// Checks: header length sane (<= 100 MB) and inside the file; JSON well-formed and not deeply nested;
// every entry has a known dtype, a shape of non-negative ints and data_offsets [begin <= end];
// dtype x shape == end - begin without overflow; entries contiguous from 0 with no holes or overlap
// and ending exactly at the end of the file; duplicate names refused.
// Throws deeper::Error "<file_name>: tensor '<name>': <problem>" (or without the tensor part).
StHeader ParseSafetensorsHeader(const uint8_t* bytes, size_t size, const std::string& file_name);

// A read-only, memory-mapped safetensors file. Move-only; the mapping lives as long as the object.
class SafetensorsFile {
 public:
  // Maps and validates `path`; throws deeper::Error naming the path on any problem.
  static SafetensorsFile Open(const std::string& path);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const std::vector<StTensorInfo>& tensors() const { return header_.tensors; }

  // nullptr when absent.
  const StTensorInfo* Find(const std::string& name) const;
  // Throws deeper::Error "<path>: tensor '<name>' not found" when absent.
  const StTensorInfo& Get(const std::string& name) const;
  // Start of the tensor's bytes inside the mapping (valid while this object lives).
  const uint8_t* Data(const StTensorInfo& info) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  StHeader header_;
  std::map<std::string, size_t> index_;  // name -> position in header_.tensors
  const uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
};

// A tensor to write: raw little-endian bytes that must equal dtype x shape.
struct StWriteEntry {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t nbytes = 0;
};

// The 8-byte length + JSON header for `entries` laid out in name order; the header is space-padded so
// the data buffer starts at an 8-byte aligned file offset.
std::string EncodeSafetensorsHeader(const std::vector<StWriteEntry>& entries,
                                    const std::map<std::string, std::string>& metadata);

// Writes a safetensors file atomically (temporary sibling + fsync + rename). Tensors are sorted by name
// (as the reference writer does); sizes are checked before anything is written. Metadata is typically
// {"format": "pt"}.
void WriteSafetensors(const std::string& path, std::vector<StWriteEntry> entries,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace deeper
