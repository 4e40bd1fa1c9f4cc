#include "stages/context_building/item_table.h"

#include <cstdint>

#include "stages/context_building/html_entities.h"

namespace deeper {

ItemTable ItemTable::Read(const std::string& path, const ItemTableOptions& options) {
  SourceText text = SourceText::Open(path);
  TableReader reader(&text, options.format, {options.id_column, options.name_column});
  ItemTable table;
  std::vector<int64_t> lines;  // Where each id was listed, for the duplicate message.
  std::vector<std::string_view> values;
  while (reader.Next(&values)) {
    if (values[0].empty()) text.FailAt(reader.line(), "empty item id");
    bool inserted = false;
    const uint32_t index = table.ids_.Insert(values[0], &inserted);
    if (!inserted) {
      text.FailAt(reader.line(), "item id '", values[0], "' listed twice (first on line ", lines[index], ")");
    }
    lines.push_back(reader.line());
    if (options.unescape_html && values[1].find('&') != std::string_view::npos) {
      table.names_ += UnescapeHtml(values[1]);
    } else {
      table.names_ += values[1];
    }
    table.name_begin_.push_back(table.names_.size());
  }
  return table;
}

}  // namespace deeper
