#include "stages/context_building/csv_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace deeper {

CsvReader::CsvReader(SourceText* text, char delimiter)
    : text_(text), data_(text->data()), size_(text->size()), delimiter_(delimiter), pos_(text->BomLength()) {
  DEEPER_REQUIRE(delimiter != '"' && delimiter != '\n' && delimiter != '\r', text->name(),
                 ": unusable CSV delimiter");
}

CsvReader::CsvReader(SourceText* text, char delimiter, size_t begin, int64_t line) : CsvReader(text, delimiter) {
  pos_ = std::max(pos_, begin);
  line_ = line;
}

void CsvReader::SkipBlankLines() {
  while (pos_ < size_) {
    if (data_[pos_] == '\n') {
      ++pos_;
    } else if (data_[pos_] == '\r' && pos_ + 1 < size_ && data_[pos_ + 1] == '\n') {
      pos_ += 2;
    } else {
      return;
    }
    ++line_;
  }
}

bool CsvReader::Next(std::vector<std::string_view>* fields) {
  if (pos_ >= limit_) return false;
  SkipBlankLines();
  if (pos_ >= size_ || pos_ >= limit_) return false;
  record_line_ = line_;
  fields->clear();
  while (true) {
    fields->push_back(pos_ < size_ && data_[pos_] == '"' ? ReadQuoted() : ReadUnquoted(fields->size() + 1));
    if (pos_ >= size_) return true;
    const char c = data_[pos_];
    if (c == delimiter_) {
      ++pos_;
      continue;
    }
    // Only a record end can follow a field here: ReadQuoted and ReadUnquoted refuse anything else.
    pos_ += c == '\r' ? 2 : 1;
    ++line_;
    return true;
  }
}

std::string_view CsvReader::ReadUnquoted(size_t field_number) {
  const size_t start = pos_;
  const char* p = data_ + pos_;
  const char* end = data_ + size_;
  while (p < end) {
    const char c = *p;
    if (c == delimiter_ || c == '\n') break;
    if (c == '"') text_->FailAt(line_, "quote inside unquoted field ", field_number, " (quote the whole field)");
    ++p;
  }
  size_t stop = static_cast<size_t>(p - data_);
  pos_ = stop;
  // CRLF: the CR belongs to the record end, not the field.
  if (p < end && *p == '\n' && stop > start && data_[stop - 1] == '\r') {
    --stop;
    pos_ = stop;
  }
  return {data_ + start, stop - start};
}

std::string_view CsvReader::ReadQuoted() {
  const int64_t open_line = line_;
  const size_t start = pos_ + 1;
  size_t read = start;
  size_t write = start;
  while (true) {
    const void* found = std::memchr(data_ + read, '"', size_ - read);
    if (found == nullptr) text_->FailAt(open_line, "unterminated quoted field (the quote opens on this line)");
    const size_t quote = static_cast<size_t>(static_cast<const char*>(found) - data_);
    line_ += std::count(data_ + read, data_ + quote, '\n');
    if (write != read) std::memmove(data_ + write, data_ + read, quote - read);
    write += quote - read;
    if (quote + 1 < size_ && data_[quote + 1] == '"') {
      data_[write++] = '"';  // A doubled quote stands for one.
      read = quote + 2;
      continue;
    }
    pos_ = quote + 1;
    break;
  }
  if (pos_ < size_) {
    const char c = data_[pos_];
    const bool crlf = c == '\r' && pos_ + 1 < size_ && data_[pos_ + 1] == '\n';
    if (c != delimiter_ && c != '\n' && !crlf) {
      text_->FailAt(line_, "unexpected character '", c, "' after the closing quote of a field");
    }
  }
  return {data_ + start, write - start};
}

}  // namespace deeper
