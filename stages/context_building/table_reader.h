// Rows of a tabular log (CSV, TSV or JSONL), reduced to the columns a reader asked for by name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/context_building/csv_reader.h"
#include "stages/context_building/source_text.h"

namespace deeper {

enum class TableFormat { kAuto, kCsv, kTsv, kJsonl };

// kAuto resolved from the file name: .tsv/.tab -> TSV, .jsonl/.ndjson/.json -> JSONL, else CSV.
TableFormat ResolveTableFormat(TableFormat format, const std::string& path);
// "csv", "tsv", "jsonl" or "auto"; throws deeper::Error for anything else.
TableFormat ParseTableFormat(const std::string& name);

class TableReader {
 public:
  // CSV and TSV need a header row naming the columns; JSONL rows are objects keyed by column.
  // A column the header lacks is refused here with "NAME:1: unknown column ...". The whole text is
  // checked to be UTF-8 unless `check_utf8` is false (the caller then checks the parts it reads).
  TableReader(SourceText* text, TableFormat format, std::vector<std::string> columns, bool check_utf8 = true);

  // CSV and TSV: a reader of the rows of the same table from byte `begin`, which must start a
  // record on line `line` (so that two threads can read two parts of one table).
  TableReader(const TableReader& table, size_t begin, int64_t line);

  // values[i] is the text of columns[i] in the next row (a JSON number as json.dumps would write
  // it); false at the end. The views stay valid until the next call.
  bool Next(std::vector<std::string_view>* values);

  int64_t line() const;
  // True when the views of earlier rows stay valid after Next (CSV and TSV: they point into the
  // text), which lets a caller batch rows.
  bool stable_views() const { return format_ != TableFormat::kJsonl; }

  // CSV and TSV: rows starting at or after byte `limit` are not read; the byte after the last row read.
  void set_limit(size_t limit) { csv_->set_limit(limit); }
  size_t position() const { return csv_ ? csv_->position() : pos_; }
  const SourceText& text() const { return *text_; }

 private:
  bool NextCsv(std::vector<std::string_view>* values);
  bool NextJsonl(std::vector<std::string_view>* values);

  SourceText* text_;
  TableFormat format_;
  std::vector<std::string> columns_;
  // CSV/TSV:
  std::unique_ptr<CsvReader> csv_;
  std::vector<int> positions_;  // Field number of each asked-for column.
  size_t header_size_ = 0;
  std::vector<std::string_view> fields_;
  // JSONL:
  size_t pos_ = 0;
  int64_t line_ = 0;
  std::vector<std::string> scratch_;
};

}  // namespace deeper
