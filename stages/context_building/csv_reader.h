// RFC 4180 records: fields separated by a delimiter, records by LF or CRLF, fields optionally quoted
// with '"' (a doubled quote inside stands for one; delimiters and newlines inside quotes are data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "stages/context_building/source_text.h"

namespace deeper {

class CsvReader {
 public:
  // Reads `text` from after its byte order mark. Quoted fields are decoded in place in `text`, so
  // the views Next returns stay valid as long as `text` lives.
  explicit CsvReader(SourceText* text, char delimiter = ',');
  // Reads from byte `begin`, which must start a record on line `line` (to read a part of the text).
  CsvReader(SourceText* text, char delimiter, size_t begin, int64_t line);

  // Fills `fields` with the next record; false at the end of the text. Blank lines are skipped.
  // Throws "NAME:LINE: reason" for an unterminated quote or a stray quote.
  bool Next(std::vector<std::string_view>* fields);

  // Line where the record last returned by Next starts (records may span lines).
  int64_t line() const { return record_line_; }
  // Records starting at or after byte `limit` are not read (Next returns false).
  void set_limit(size_t limit) { limit_ = limit; }
  // Byte offset after the last record read.
  size_t position() const { return pos_; }
  const SourceText& text() const { return *text_; }

 private:
  std::string_view ReadQuoted();
  std::string_view ReadUnquoted(size_t field_number);
  void SkipBlankLines();

  SourceText* text_;
  char* data_;
  size_t size_;
  char delimiter_;
  size_t pos_;
  size_t limit_ = SIZE_MAX;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
};

}  // namespace deeper
