#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/files.h"

namespace deeper {
namespace {

using json = nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we (a lying length must not make
// us allocate or scan gigabytes).
constexpr uint64_t kMaxHeaderBytes = 100u * 1000u * 1000u;
// A valid header nests 3 deep ({name: {shape: [..]}}); anything far deeper is garbage, and refusing it
// before parsing bounds the parser's work.
constexpr int kMaxJsonDepth = 8;

struct DtypeRow {
  StDtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeRow kDtypes[] = {
    {StDtype::kF32, "F32", 4}, {StDtype::kF16, "F16", 2}, {StDtype::kBF16, "BF16", 2}, {StDtype::kI64, "I64", 8},
    {StDtype::kI32, "I32", 4}, {StDtype::kU8, "U8", 1},   {StDtype::kBool, "BOOL", 1},
};

const DtypeRow& RowOf(StDtype dtype) {
  for (const auto& row : kDtypes) {
    if (row.dtype == dtype) return row;
  }
  Fail("safetensors: unknown dtype enum ", static_cast<int>(dtype));
}

uint64_t ReadU64Le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Deepest bracket nesting of a JSON text, ignoring brackets inside strings.
int JsonDepth(const char* text, size_t n) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

// Parses the header JSON, refusing duplicate top-level names (the JSON library would keep the last).
json ParseHeaderJson(const char* text, size_t n, const std::string& file) {
  DEEPER_REQUIRE(JsonDepth(text, n) <= kMaxJsonDepth, file, ": safetensors header nests deeper than ",
                 kMaxJsonDepth, " levels");
  std::set<std::string> names;
  std::string duplicate;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !names.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, text + n, on_event);
  } catch (const json::exception& e) {
    Fail(file, ": safetensors header is not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(duplicate.empty(), file, ": tensor '", duplicate, "': listed twice in the header");
  DEEPER_REQUIRE(header.is_object(), file, ": safetensors header is not a JSON object");
  return header;
}

std::map<std::string, std::string> ParseMetadata(const json& value, const std::string& file) {
  DEEPER_REQUIRE(value.is_object(), file, ": __metadata__ is not an object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    DEEPER_REQUIRE(item.is_string(), file, ": __metadata__ value of '", key, "' is not a string");
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

// A non-negative integer field element; refuses floats, negatives and values that do not fit int64.
uint64_t UnsignedOf(const json& value, const std::string& file, const std::string& name, const char* what) {
  DEEPER_REQUIRE(value.is_number_unsigned(), file, ": tensor '", name, "': ", what,
                 " must hold non-negative integers");
  const uint64_t v = value.get<uint64_t>();
  DEEPER_REQUIRE(v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), file, ": tensor '", name, "': ",
                 what, " value ", v, " is too large");
  return v;
}

StTensorInfo ParseEntry(const std::string& name, const json& entry, const std::string& file) {
  DEEPER_REQUIRE(entry.is_object(), file, ": tensor '", name, "': entry is not an object");
  StTensorInfo info;
  info.name = name;
  auto dtype = entry.find("dtype");
  DEEPER_REQUIRE(dtype != entry.end() && dtype->is_string(), file, ": tensor '", name, "': missing dtype");
  DEEPER_REQUIRE(ParseStDtype(dtype->get<std::string>(), &info.dtype), file, ": tensor '", name,
                 "': unsupported dtype '", dtype->get<std::string>(), "'");
  auto shape = entry.find("shape");
  DEEPER_REQUIRE(shape != entry.end() && shape->is_array(), file, ": tensor '", name, "': missing shape");
  for (const auto& dim : *shape) info.shape.push_back(static_cast<int64_t>(UnsignedOf(dim, file, name, "shape")));
  auto offsets = entry.find("data_offsets");
  DEEPER_REQUIRE(offsets != entry.end() && offsets->is_array() && offsets->size() == 2, file, ": tensor '", name,
                 "': data_offsets must be [begin, end]");
  info.begin = UnsignedOf((*offsets)[0], file, name, "data_offsets");
  info.end = UnsignedOf((*offsets)[1], file, name, "data_offsets");
  DEEPER_REQUIRE(info.begin <= info.end, file, ": tensor '", name, "': data_offsets begin ", info.begin,
                 " is after end ", info.end);
  return info;
}

// dtype x shape must be exactly the byte range, computed without overflow.
void CheckSize(const StTensorInfo& info, const std::string& file) {
  uint64_t bytes = StDtypeSize(info.dtype);
  for (int64_t dim : info.shape) {
    DEEPER_REQUIRE(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes), file, ": tensor '", info.name,
                   "': shape is too large (byte size overflows)");
  }
  DEEPER_REQUIRE(bytes == info.nbytes(), file, ": tensor '", info.name, "': dtype ", StDtypeName(info.dtype),
                 " and shape need ", bytes, " bytes but data_offsets span ", info.nbytes());
}

// Entries must tile [0, buffer_size) exactly: sorted by offset, each starts where the previous ended.
void CheckLayout(std::vector<StTensorInfo>& tensors, uint64_t buffer_size, const std::string& file) {
  std::sort(tensors.begin(), tensors.end(), [](const StTensorInfo& a, const StTensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const auto& info : tensors) {
    DEEPER_REQUIRE(info.begin >= expected, file, ": tensor '", info.name, "': data_offsets [", info.begin, ", ",
                   info.end, ") overlap the previous tensor (which ends at ", expected, ")");
    DEEPER_REQUIRE(info.begin == expected, file, ": tensor '", info.name, "': hole in the data buffer before it (",
                   "previous tensor ends at ", expected, ", this one begins at ", info.begin, ")");
    DEEPER_REQUIRE(info.end <= buffer_size, file, ": tensor '", info.name, "': data_offsets end ", info.end,
                   " is past the end of the data buffer (", buffer_size, " bytes; file truncated?)");
    expected = info.end;
  }
  DEEPER_REQUIRE(expected == buffer_size, file, ": data buffer has ", buffer_size - expected,
                 " bytes after the last tensor (header and data disagree)");
}

}  // namespace

const char* StDtypeName(StDtype dtype) { return RowOf(dtype).name; }
size_t StDtypeSize(StDtype dtype) { return RowOf(dtype).size; }

bool ParseStDtype(const std::string& name, StDtype* dtype) {
  for (const auto& row : kDtypes) {
    if (name == row.name) {
      *dtype = row.dtype;
      return true;
    }
  }
  return false;
}

uint64_t StTensorInfo::numel() const {
  uint64_t n = 1;
  for (int64_t dim : shape) n *= static_cast<uint64_t>(dim);
  return n;
}

StHeader ParseSafetensorsHeader(const uint8_t* bytes, size_t size, const std::string& file) {
  DEEPER_REQUIRE(size >= 8, file, ": not a safetensors file (", size, " bytes, shorter than the header length)");
  const uint64_t n = ReadU64Le(bytes);
  DEEPER_REQUIRE(n <= kMaxHeaderBytes, file, ": safetensors header length ", n, " exceeds the ", kMaxHeaderBytes,
                 "-byte limit (corrupt file?)");
  DEEPER_REQUIRE(n <= size - 8, file, ": safetensors header length ", n, " runs past the end of the file (",
                 size, " bytes; truncated?)");
  DEEPER_REQUIRE(n >= 2 && bytes[8] == '{', file, ": safetensors header does not start with '{'");
  const json header = ParseHeaderJson(reinterpret_cast<const char*>(bytes + 8), n, file);
  StHeader out;
  out.data_start = 8 + n;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      out.metadata = ParseMetadata(entry, file);
      continue;
    }
    out.tensors.push_back(ParseEntry(name, entry, file));
    CheckSize(out.tensors.back(), file);
  }
  CheckLayout(out.tensors, size - out.data_start, file);
  return out;
}

// ---- Memory-mapped reader ------------------------------------------------------------------------

SafetensorsFile SafetensorsFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  DEEPER_REQUIRE(fd >= 0, path, ": cannot open (", std::strerror(errno), ")");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    Fail(path, ": cannot stat (", std::strerror(err), ")");
  }
  SafetensorsFile file;
  file.path_ = path;
  file.map_size_ = static_cast<size_t>(st.st_size);
  if (file.map_size_ > 0) {
    void* map = ::mmap(nullptr, file.map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    DEEPER_REQUIRE(map != MAP_FAILED, path, ": cannot map (", std::strerror(err), ")");
    file.map_ = static_cast<const uint8_t*>(map);
  } else {
    ::close(fd);
  }
  file.header_ = ParseSafetensorsHeader(file.map_, file.map_size_, path);
  for (size_t i = 0; i < file.header_.tensors.size(); ++i) file.index_[file.header_.tensors[i].name] = i;
  return file;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept { *this = std::move(other); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_size_);
    path_ = std::move(other.path_);
    header_ = std::move(other.header_);
    index_ = std::move(other.index_);
    map_ = other.map_;
    map_size_ = other.map_size_;
    other.map_ = nullptr;
    other.map_size_ = 0;
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_size_);
}

const StTensorInfo* SafetensorsFile::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

const StTensorInfo& SafetensorsFile::Get(const std::string& name) const {
  const StTensorInfo* info = Find(name);
  DEEPER_REQUIRE(info != nullptr, path_, ": tensor '", name, "' not found");
  return *info;
}

const uint8_t* SafetensorsFile::Data(const StTensorInfo& info) const {
  return map_ + header_.data_start + info.begin;
}

// ---- Writer -------------------------------------------------------------------------------------

namespace {

void CheckEntries(const std::vector<StWriteEntry>& entries, const std::string& what) {
  std::set<std::string> names;
  for (const auto& e : entries) {
    DEEPER_REQUIRE(e.name != "__metadata__", what, ": '__metadata__' is not a valid tensor name");
    DEEPER_REQUIRE(names.insert(e.name).second, what, ": tensor '", e.name, "' given twice");
    uint64_t bytes = StDtypeSize(e.dtype);
    for (int64_t dim : e.shape) {
      DEEPER_REQUIRE(dim >= 0, what, ": tensor '", e.name, "': negative dimension");
      DEEPER_REQUIRE(!__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes), what, ": tensor '", e.name,
                     "': shape too large");
    }
    DEEPER_REQUIRE(bytes == e.nbytes, what, ": tensor '", e.name, "': ", e.nbytes, " bytes given, dtype x shape needs ",
                   bytes);
    DEEPER_REQUIRE(e.nbytes == 0 || e.data != nullptr, what, ": tensor '", e.name, "': no data");
  }
}

std::vector<const StWriteEntry*> SortedByName(const std::vector<StWriteEntry>& entries) {
  std::vector<const StWriteEntry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  return sorted;
}

}  // namespace

std::string EncodeSafetensorsHeader(const std::vector<StWriteEntry>& entries,
                                    const std::map<std::string, std::string>& metadata) {
  CheckEntries(entries, "safetensors writer");
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const StWriteEntry* e : SortedByName(entries)) {
    header[e->name] = {{"dtype", StDtypeName(e->dtype)}, {"shape", e->shape}, {"data_offsets", {offset, offset + e->nbytes}}};
    offset += e->nbytes;
  }
  std::string text = header.dump();
  // Pad with spaces so the data buffer starts 8-byte aligned (8 + N is a multiple of 8).
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + text;
}

void WriteSafetensors(const std::string& path, std::vector<StWriteEntry> entries,
                      const std::map<std::string, std::string>& metadata) {
  const std::string header = EncodeSafetensorsHeader(entries, metadata);
  WriteViaTemporary(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    DEEPER_REQUIRE(out.good(), tmp, ": cannot open for writing (", std::strerror(errno), ")");
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const StWriteEntry* e : SortedByName(entries)) {
      out.write(static_cast<const char*>(e->data), static_cast<std::streamsize>(e->nbytes));
    }
    out.flush();
    DEEPER_REQUIRE(out.good(), tmp, ": write failed");
  });
}

}  // namespace deeper
