#include "apps/inspect.h"

#include <algorithm>
#include <sstream>

#include "pipeline/shard.h"

namespace deeper {
namespace {

template <typename T>
std::string Show(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string Show(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value.substr(0, 80)) quoted += (c == '"' ? std::string("\\\"") : std::string(1, c));
  return quoted + (value.size() > 80 ? "...\"" : "\"");
}

template <typename T>
std::string Show(const std::vector<T>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size() && i < 6; ++i) text += (i ? ", " : "") + Show(values[i]);
  if (values.size() > 6) text += ", ... (" + std::to_string(values.size()) + " items)";
  return text + "]";
}

template <typename Column>
void PrintRows(const std::string& name, const Column& column, int rows, std::ostream& out) {
  for (int i = 0; i < rows && i < static_cast<int>(column.size()); ++i) {
    out << "    [" << i << "] " << Show(column[static_cast<size_t>(i)]) << "\n";
  }
}

}  // namespace

int InspectShard(const std::string& path, int rows, std::ostream& out) {
  ShardReader shard(path);
  out << path << ": " << shard.rows() << " rows\n";
  for (const auto& name : shard.ColumnNames()) {
    const std::string kind = shard.ColumnKind(name);
    out << "  " << name << " (" << kind << ")\n";
    if (kind == "int64") PrintRows(name, shard.Int64(name), rows, out);
    if (kind == "float32") PrintRows(name, shard.Float32(name), rows, out);
    if (kind == "float64") PrintRows(name, shard.Float64(name), rows, out);
    if (kind == "string") PrintRows(name, shard.Strings(name), rows, out);
    if (kind == "ragged int64") PrintRows(name, shard.RaggedInt64(name), rows, out);
    if (kind == "ragged float32") PrintRows(name, shard.RaggedFloat32(name), rows, out);
    if (kind == "ragged float64") PrintRows(name, shard.RaggedFloat64(name), rows, out);
    if (kind == "ragged string") PrintRows(name, shard.RaggedStrings(name), rows, out);
  }
  return 0;
}

}  // namespace deeper
