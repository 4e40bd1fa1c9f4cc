// Shards: the files stages exchange. One shard is one HDF5 file holding named columns of equal
// length (numbers, UTF-8 strings, and ragged lists of either) plus string/integer attributes.
//
// Files are byte-identical for identical content: object time tracking is off, columns are stored in
// name order, and nothing depends on the clock or the host. A writer buffers everything and writes the
// file under a temporary name that is renamed into place only when complete.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace deeper {

using Int64Column = std::vector<int64_t>;
using Float32Column = std::vector<float>;
using Float64Column = std::vector<double>;
using StringColumn = std::vector<std::string>;
// A ragged column: row i holds a list of any length.
using RaggedInt64Column = std::vector<std::vector<int64_t>>;
using RaggedFloat32Column = std::vector<std::vector<float>>;
using RaggedFloat64Column = std::vector<std::vector<double>>;
using RaggedStringColumn = std::vector<std::vector<std::string>>;

using Column = std::variant<Int64Column, Float32Column, Float64Column, StringColumn, RaggedInt64Column,
                            RaggedFloat32Column, RaggedFloat64Column, RaggedStringColumn>;

// Rows in a column of any kind.
size_t ColumnRows(const Column& column);

class ShardWriter {
 public:
  // Every column must have the same number of rows; the first one added fixes it.
  void Add(const std::string& name, Column column);
  void SetAttribute(const std::string& name, const std::string& value);
  void SetAttribute(const std::string& name, int64_t value);

  size_t rows() const { return rows_; }

  // Writes the shard to `path` atomically (temporary + fsync + rename). The row count is stored as the
  // attribute `rows`.
  void Commit(const std::string& path) const;

 private:
  std::map<std::string, Column> columns_;
  std::map<std::string, std::string> string_attributes_;
  std::map<std::string, int64_t> int_attributes_;
  size_t rows_ = 0;
};

class ShardReader {
 public:
  explicit ShardReader(const std::string& path);
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const std::string& path() const { return path_; }
  int64_t rows() const { return rows_; }
  bool Has(const std::string& column) const;
  std::vector<std::string> ColumnNames() const;
  // "int64", "float32", "float64", "string", or "ragged " + one of those.
  std::string ColumnKind(const std::string& column) const;

  Int64Column Int64(const std::string& column) const;
  Float32Column Float32(const std::string& column) const;
  Float64Column Float64(const std::string& column) const;
  StringColumn Strings(const std::string& column) const;
  RaggedInt64Column RaggedInt64(const std::string& column) const;
  RaggedFloat32Column RaggedFloat32(const std::string& column) const;
  RaggedFloat64Column RaggedFloat64(const std::string& column) const;
  RaggedStringColumn RaggedStrings(const std::string& column) const;

  std::string StringAttribute(const std::string& name) const;
  int64_t IntAttribute(const std::string& name) const;
  bool HasAttribute(const std::string& name) const;

 private:
  std::string path_;
  int64_t file_ = -1;  // hid_t, kept opaque so users need not include hdf5.h.
  int64_t rows_ = 0;
};

}  // namespace deeper
