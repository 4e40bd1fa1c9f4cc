#include "pipeline/shard.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "common/error.h"
#include "common/files.h"
#include "pipeline/hdf5_handle.h"

namespace deeper {
namespace h5 {

void SilenceLibraryErrors() {
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

hid_t Check(hid_t id, const std::string& what) {
  DEEPER_REQUIRE(id >= 0, what, " failed");
  return id;
}

void Check(herr_t status, const std::string& what, int) { DEEPER_REQUIRE(status >= 0, what, " failed"); }

}  // namespace h5

namespace {

constexpr char kRowsAttribute[] = "rows";

h5::Handle Utf8StringType() {
  h5::Handle type(h5::Check(H5Tcopy(H5T_C_S1), "copy string type"), H5Tclose);
  h5::Check(H5Tset_size(type.get(), H5T_VARIABLE), "set string size", 0);
  h5::Check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set string charset", 0);
  return type;
}

// Object-creation properties that keep files byte-identical: no access/modification times.
h5::Handle UntimedCreationList(hid_t property_class) {
  h5::Handle plist(h5::Check(H5Pcreate(property_class), "create property list"), H5Pclose);
  h5::Check(H5Pset_obj_track_times(plist.get(), false), "disable time tracking", 0);
  return plist;
}

template <typename T>
hid_t NativeType() {
  if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
}

// Stored (file) types are fixed little-endian so files do not depend on the host.
template <typename T>
hid_t FileType() {
  if constexpr (std::is_same_v<T, int64_t>) return H5T_STD_I64LE;
  if constexpr (std::is_same_v<T, float>) return H5T_IEEE_F32LE;
  if constexpr (std::is_same_v<T, double>) return H5T_IEEE_F64LE;
}

class FileWriter {
 public:
  FileWriter(hid_t file, std::string path) : file_(file), path_(std::move(path)) {}

  template <typename T>
  void WriteNumbers(hid_t parent, const std::string& name, const std::vector<T>& values) {
    hsize_t dims[1] = {values.size()};
    h5::Handle space(h5::Check(H5Screate_simple(1, dims, nullptr), Where(name, "create dataspace")), H5Sclose);
    auto dcpl = UntimedCreationList(H5P_DATASET_CREATE);
    h5::Handle set(h5::Check(H5Dcreate2(parent, name.c_str(), FileType<T>(), space.get(), H5P_DEFAULT, dcpl.get(),
                                        H5P_DEFAULT),
                             Where(name, "create dataset")),
                   H5Dclose);
    if (!values.empty()) {
      h5::Check(H5Dwrite(set.get(), NativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                Where(name, "write dataset"), 0);
    }
  }

  void WriteStrings(hid_t parent, const std::string& name, const std::vector<std::string>& values) {
    hsize_t dims[1] = {values.size()};
    h5::Handle space(h5::Check(H5Screate_simple(1, dims, nullptr), Where(name, "create dataspace")), H5Sclose);
    auto type = Utf8StringType();
    auto dcpl = UntimedCreationList(H5P_DATASET_CREATE);
    h5::Handle set(h5::Check(H5Dcreate2(parent, name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                                        H5P_DEFAULT),
                             Where(name, "create dataset")),
                   H5Dclose);
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const auto& v : values) pointers.push_back(v.c_str());
    if (!values.empty()) {
      h5::Check(H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                Where(name, "write dataset"), 0);
    }
  }

  // A ragged column is a group with the flattened `values` and `offsets` (rows + 1 entries).
  template <typename T>
  void WriteRagged(const std::string& name, const std::vector<std::vector<T>>& rows) {
    auto gcpl = UntimedCreationList(H5P_GROUP_CREATE);
    h5::Handle group(h5::Check(H5Gcreate2(file_, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                               Where(name, "create group")),
                     H5Gclose);
    std::vector<int64_t> offsets{0};
    std::vector<T> flat;
    for (const auto& row : rows) {
      flat.insert(flat.end(), row.begin(), row.end());
      offsets.push_back(static_cast<int64_t>(flat.size()));
    }
    WriteNumbers<int64_t>(group.get(), "offsets", offsets);
    if constexpr (std::is_same_v<T, std::string>) {
      WriteStrings(group.get(), "values", flat);
    } else {
      WriteNumbers<T>(group.get(), "values", flat);
    }
  }

  void WriteColumn(const std::string& name, const Column& column) {
    std::visit(
        [&](const auto& values) {
          using C = std::decay_t<decltype(values)>;
          if constexpr (std::is_same_v<C, StringColumn>) {
            WriteStrings(file_, name, values);
          } else if constexpr (std::is_same_v<C, Int64Column> || std::is_same_v<C, Float32Column> ||
                               std::is_same_v<C, Float64Column>) {
            WriteNumbers(file_, name, values);
          } else {
            WriteRagged(name, values);
          }
        },
        column);
  }

  void WriteAttribute(const std::string& name, const std::string& value) {
    auto type = Utf8StringType();
    h5::Handle space(h5::Check(H5Screate(H5S_SCALAR), Where(name, "create attribute space")), H5Sclose);
    h5::Handle attr(h5::Check(H5Acreate2(file_, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                              Where(name, "create attribute")),
                    H5Aclose);
    const char* pointer = value.c_str();
    h5::Check(H5Awrite(attr.get(), type.get(), &pointer), Where(name, "write attribute"), 0);
  }

  void WriteAttribute(const std::string& name, int64_t value) {
    h5::Handle space(h5::Check(H5Screate(H5S_SCALAR), Where(name, "create attribute space")), H5Sclose);
    h5::Handle attr(h5::Check(H5Acreate2(file_, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                              Where(name, "create attribute")),
                    H5Aclose);
    h5::Check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), Where(name, "write attribute"), 0);
  }

 private:
  std::string Where(const std::string& name, const char* action) const {
    return path_ + ": " + action + " '" + name + "'";
  }
  hid_t file_;
  std::string path_;
};

}  // namespace

size_t ColumnRows(const Column& column) {
  return std::visit([](const auto& values) { return values.size(); }, column);
}

void ShardWriter::Add(const std::string& name, Column column) {
  DEEPER_REQUIRE(!name.empty() && name.find('/') == std::string::npos && name != kRowsAttribute,
                 "shard column name '", name, "' is not allowed");
  DEEPER_REQUIRE(!columns_.count(name), "shard column '", name, "' added twice");
  const size_t n = ColumnRows(column);
  DEEPER_REQUIRE(columns_.empty() || n == rows_, "shard column '", name, "' has ", n, " rows, others have ", rows_);
  rows_ = n;
  columns_[name] = std::move(column);
}

void ShardWriter::SetAttribute(const std::string& name, const std::string& value) {
  DEEPER_REQUIRE(name != kRowsAttribute, "shard attribute name '", name, "' is reserved");
  int_attributes_.erase(name);
  string_attributes_[name] = value;
}

void ShardWriter::SetAttribute(const std::string& name, int64_t value) {
  DEEPER_REQUIRE(name != kRowsAttribute, "shard attribute name '", name, "' is reserved");
  string_attributes_.erase(name);
  int_attributes_[name] = value;
}

void ShardWriter::Commit(const std::string& path) const {
  h5::SilenceLibraryErrors();
  WriteViaTemporary(path, [&](const std::string& tmp) {
    auto fcpl = UntimedCreationList(H5P_FILE_CREATE);
    h5::Handle file(h5::Check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), tmp + ": create"),
                    H5Fclose);
    FileWriter writer(file.get(), path);
    for (const auto& [name, column] : columns_) writer.WriteColumn(name, column);
    writer.WriteAttribute(kRowsAttribute, static_cast<int64_t>(rows_));
    for (const auto& [name, value] : string_attributes_) writer.WriteAttribute(name, value);
    for (const auto& [name, value] : int_attributes_) writer.WriteAttribute(name, value);
    h5::Check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), tmp + ": flush", 0);
    file.reset();
  });
}

// ----------------------------------------------------------------------------------------------- reader

namespace {

std::string Describe(const std::string& path, const std::string& column, const char* what) {
  return path + ": column '" + column + "': " + what;
}

template <typename T>
std::vector<T> ReadNumbers(hid_t parent, const std::string& path, const std::string& name) {
  h5::Handle set(h5::Check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), Describe(path, name, "open")), H5Dclose);
  h5::Handle type(h5::Check(H5Dget_type(set.get()), Describe(path, name, "get type")), H5Tclose);
  const H5T_class_t expected = std::is_integral_v<T> ? H5T_INTEGER : H5T_FLOAT;
  DEEPER_REQUIRE(H5Tget_class(type.get()) == expected && H5Tget_size(type.get()) == sizeof(T), path,
                 ": column '", name, "' has a different type than requested");
  h5::Handle space(h5::Check(H5Dget_space(set.get()), Describe(path, name, "get space")), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  DEEPER_REQUIRE(n >= 0, Describe(path, name, "bad extent"));
  std::vector<T> values(static_cast<size_t>(n));
  if (n > 0) {
    h5::Check(H5Dread(set.get(), NativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              Describe(path, name, "read"), 0);
  }
  return values;
}

std::vector<std::string> ReadStrings(hid_t parent, const std::string& path, const std::string& name) {
  h5::Handle set(h5::Check(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), Describe(path, name, "open")), H5Dclose);
  h5::Handle stored(h5::Check(H5Dget_type(set.get()), Describe(path, name, "get type")), H5Tclose);
  DEEPER_REQUIRE(H5Tget_class(stored.get()) == H5T_STRING && H5Tis_variable_str(stored.get()) > 0, path,
                 ": column '", name, "' is not a string column");
  h5::Handle space(h5::Check(H5Dget_space(set.get()), Describe(path, name, "get space")), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  DEEPER_REQUIRE(n >= 0, Describe(path, name, "bad extent"));
  std::vector<char*> pointers(static_cast<size_t>(n), nullptr);
  std::vector<std::string> values;
  if (n == 0) return values;
  auto type = Utf8StringType();
  h5::Check(H5Dread(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
            Describe(path, name, "read"), 0);
  values.reserve(pointers.size());
  for (char* p : pointers) values.emplace_back(p ? p : "");
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return values;
}

template <typename T>
std::vector<std::vector<T>> ReadRagged(hid_t file, const std::string& path, const std::string& name) {
  h5::Handle group(h5::Check(H5Gopen2(file, name.c_str(), H5P_DEFAULT), Describe(path, name, "open ragged column")),
                   H5Gclose);
  auto offsets = ReadNumbers<int64_t>(group.get(), path, "offsets");
  std::vector<T> flat;
  if constexpr (std::is_same_v<T, std::string>) {
    flat = ReadStrings(group.get(), path, "values");
  } else {
    flat = ReadNumbers<T>(group.get(), path, "values");
  }
  DEEPER_REQUIRE(!offsets.empty() && offsets.front() == 0 && offsets.back() == static_cast<int64_t>(flat.size()),
                 Describe(path, name, "ragged offsets do not match the values"));
  std::vector<std::vector<T>> rows(offsets.size() - 1);
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    DEEPER_REQUIRE(offsets[i] <= offsets[i + 1], Describe(path, name, "ragged offsets decrease"));
    rows[i].assign(flat.begin() + offsets[i], flat.begin() + offsets[i + 1]);
  }
  return rows;
}

}  // namespace

ShardReader::ShardReader(const std::string& path) : path_(path) {
  h5::SilenceLibraryErrors();
  DEEPER_REQUIRE(FileExists(path), path, ": shard does not exist");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  DEEPER_REQUIRE(file_ >= 0, path, ": not a readable HDF5 shard");
  DEEPER_REQUIRE(HasAttribute(kRowsAttribute), path, ": not a shard (no 'rows' attribute)");
  rows_ = IntAttribute(kRowsAttribute);
}

ShardReader::~ShardReader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool ShardReader::Has(const std::string& column) const {
  return H5Lexists(file_, column.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> ShardReader::ColumnNames() const {
  std::vector<std::string> names;
  H5Literate(
      file_, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  return names;
}

std::string ShardReader::ColumnKind(const std::string& column) const {
  DEEPER_REQUIRE(Has(column), path_, ": no column '", column, "'");
  H5O_info_t info;
  h5::Check(H5Oget_info_by_name(file_, column.c_str(), &info, H5P_DEFAULT), path_ + ": inspect " + column, 0);
  const bool ragged = info.type == H5O_TYPE_GROUP;
  const std::string dataset = ragged ? column + "/values" : column;
  h5::Handle set(h5::Check(H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), Describe(path_, column, "open")), H5Dclose);
  h5::Handle type(h5::Check(H5Dget_type(set.get()), Describe(path_, column, "get type")), H5Tclose);
  std::string kind;
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: kind = "int64"; break;
    case H5T_FLOAT: kind = H5Tget_size(type.get()) == 4 ? "float32" : "float64"; break;
    case H5T_STRING: kind = "string"; break;
    default: kind = "unknown";
  }
  return ragged ? "ragged " + kind : kind;
}

#define DEEPER_SHARD_READ(Method, Type, Reader)                                           \
  Type ShardReader::Method(const std::string& column) const {                            \
    DEEPER_REQUIRE(Has(column), path_, ": no column '", column, "'");                    \
    auto values = Reader;                                                                \
    DEEPER_REQUIRE(static_cast<int64_t>(values.size()) == rows_, path_, ": column '", column, "' has ", \
                   values.size(), " rows, the shard has ", rows_);                       \
    return values;                                                                       \
  }

DEEPER_SHARD_READ(Int64, Int64Column, ReadNumbers<int64_t>(file_, path_, column))
DEEPER_SHARD_READ(Float32, Float32Column, ReadNumbers<float>(file_, path_, column))
DEEPER_SHARD_READ(Float64, Float64Column, ReadNumbers<double>(file_, path_, column))
DEEPER_SHARD_READ(Strings, StringColumn, ReadStrings(file_, path_, column))
DEEPER_SHARD_READ(RaggedInt64, RaggedInt64Column, ReadRagged<int64_t>(file_, path_, column))
DEEPER_SHARD_READ(RaggedFloat32, RaggedFloat32Column, ReadRagged<float>(file_, path_, column))
DEEPER_SHARD_READ(RaggedFloat64, RaggedFloat64Column, ReadRagged<double>(file_, path_, column))
DEEPER_SHARD_READ(RaggedStrings, RaggedStringColumn, ReadRagged<std::string>(file_, path_, column))
#undef DEEPER_SHARD_READ

bool ShardReader::HasAttribute(const std::string& name) const {
  return H5Aexists(file_, name.c_str()) > 0;
}

std::string ShardReader::StringAttribute(const std::string& name) const {
  DEEPER_REQUIRE(HasAttribute(name), path_, ": no attribute '", name, "'");
  h5::Handle attr(h5::Check(H5Aopen(file_, name.c_str(), H5P_DEFAULT), path_ + ": open attribute " + name), H5Aclose);
  auto type = Utf8StringType();
  char* value = nullptr;
  h5::Check(H5Aread(attr.get(), type.get(), &value), path_ + ": read attribute " + name, 0);
  std::string result = value ? value : "";
  H5free_memory(value);
  return result;
}

int64_t ShardReader::IntAttribute(const std::string& name) const {
  DEEPER_REQUIRE(HasAttribute(name), path_, ": no attribute '", name, "'");
  h5::Handle attr(h5::Check(H5Aopen(file_, name.c_str(), H5P_DEFAULT), path_ + ": open attribute " + name), H5Aclose);
  int64_t value = 0;
  h5::Check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), path_ + ": read attribute " + name, 0);
  return value;
}

}  // namespace deeper
