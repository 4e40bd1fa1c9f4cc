#include "stages/context_building/deeper_csv_reader.h"

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "stages/context_building/csv_reader.h"
#include "stages/context_building/html_entities.h"
#include "stages/context_building/python_literal.h"

namespace deeper {
namespace {

// Where each column of the header goes.
struct CsvLayout {
  int id = -1, item_type = -1, split = -1, dataset_name = -1, source_url = -1;
  std::vector<int> windows;  // windows[k] = column of windows_k.
  size_t columns = 0;
};

// Parses "windows_K"; -1 when `name` is not such a column.
int WindowColumnIndex(std::string_view name) {
  constexpr std::string_view kPrefix = "windows_";
  if (name.substr(0, kPrefix.size()) != kPrefix || name.size() == kPrefix.size() || name.size() > kPrefix.size() + 4) {
    return -1;
  }
  int k = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return -1;
    k = k * 10 + (c - '0');
  }
  return k;
}

CsvLayout ParseHeader(const CsvReader& reader, const std::vector<std::string_view>& header) {
  CsvLayout layout;
  layout.columns = header.size();
  const SourceText& text = reader.text();
  auto assign = [&](int* slot, std::string_view name, int column) {
    if (*slot >= 0) text.FailAt(reader.line(), "column '", name, "' appears twice");
    *slot = column;
  };
  for (int c = 0; c < static_cast<int>(header.size()); ++c) {
    const std::string_view name = header[c];
    if (name == "id") {
      assign(&layout.id, name, c);
    } else if (name == "item_type") {
      assign(&layout.item_type, name, c);
    } else if (name == "split") {
      assign(&layout.split, name, c);
    } else if (name == "dataset_name") {
      assign(&layout.dataset_name, name, c);
    } else if (name == "source_url") {
      assign(&layout.source_url, name, c);
    } else if (const int k = WindowColumnIndex(name); k >= 0) {
      if (static_cast<int>(layout.windows.size()) <= k) layout.windows.resize(k + 1, -1);
      assign(&layout.windows[k], name, c);
    } else {
      text.FailAt(reader.line(), "unknown column '", name,
                  "' (expected id,item_type,split,dataset_name,source_url,windows_0..windows_N)");
    }
  }
  const std::pair<int, const char*> required[] = {{layout.id, "id"},
                                                  {layout.item_type, "item_type"},
                                                  {layout.split, "split"},
                                                  {layout.dataset_name, "dataset_name"},
                                                  {layout.source_url, "source_url"}};
  for (const auto& [column, name] : required) {
    if (column < 0) text.FailAt(reader.line(), "missing column '", name, "'");
  }
  if (layout.windows.empty()) text.FailAt(reader.line(), "no windows_K column");
  for (size_t k = 0; k < layout.windows.size(); ++k) {
    if (layout.windows[k] < 0) text.FailAt(reader.line(), "missing column 'windows_", k, "'");
  }
  return layout;
}

UserContext ParseRecord(const CsvReader& reader, const CsvLayout& layout, const std::vector<std::string_view>& fields,
                        const ContextReadOptions& options) {
  const SourceText& text = reader.text();
  if (fields.size() != layout.columns) {
    text.FailAt(reader.line(), "wrong number of fields: ", fields.size(), ", expected ", layout.columns,
                " (truncated or malformed row)");
  }
  UserContext user;
  user.id = fields[layout.id];
  if (user.id.empty()) text.FailAt(reader.line(), "empty id");
  user.item_type = fields[layout.item_type];
  user.split = fields[layout.split];
  user.dataset_name = fields[layout.dataset_name];
  user.source_url = fields[layout.source_url];
  user.windows.resize(layout.windows.size());
  for (size_t k = 0; k < layout.windows.size(); ++k) {
    Window& window = user.windows[k];
    try {
      ParseWindowLiteral(fields[layout.windows[k]], options.window_length, &window);
    } catch (const Error& e) {
      text.FailAt(reader.line(), "windows_", k, ": ", e.what());
    }
    if (options.unescape_html) {
      for (std::string& item : window.items) UnescapeHtmlInPlace(&item);
    }
  }
  return user;
}

}  // namespace

std::vector<UserContext> ParseDeeperCsv(SourceText* text, const ContextReadOptions& options) {
  ValidateWindowLength(options.window_length);
  text->RequireUtf8();
  CsvReader reader(text);
  std::vector<std::string_view> fields;
  if (!reader.Next(&fields)) Fail(text->name(), ": empty file (expected a header)");
  const CsvLayout layout = ParseHeader(reader, fields);
  std::vector<UserContext> users;
  std::unordered_map<std::string, int64_t> first_line;
  while (reader.Next(&fields)) {
    users.push_back(ParseRecord(reader, layout, fields, options));
    const auto [it, inserted] = first_line.emplace(users.back().id, reader.line());
    if (!inserted) {
      text->FailAt(reader.line(), "user '", users.back().id, "' appears again (first on line ", it->second, ")");
    }
  }
  return users;
}

std::vector<UserContext> ReadDeeperCsv(const std::string& path, const ContextReadOptions& options) {
  SourceText text = SourceText::Open(path);
  return ParseDeeperCsv(&text, options);
}

}  // namespace deeper
