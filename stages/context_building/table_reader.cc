#include "stages/context_building/table_reader.h"

#include <nlohmann/json.hpp>
#include <cstdint>
#include <utility>

namespace deeper {
namespace {

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && std::string_view(text).substr(text.size() - suffix.size()) == suffix;
}

std::string JoinViews(const std::vector<std::string_view>& names) {
  std::string joined;
  for (std::string_view name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

}  // namespace

TableFormat ResolveTableFormat(TableFormat format, const std::string& path) {
  if (format != TableFormat::kAuto) return format;
  if (EndsWith(path, ".tsv") || EndsWith(path, ".tab")) return TableFormat::kTsv;
  if (EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson") || EndsWith(path, ".json")) return TableFormat::kJsonl;
  return TableFormat::kCsv;
}

TableFormat ParseTableFormat(const std::string& name) {
  if (name == "auto") return TableFormat::kAuto;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "tsv") return TableFormat::kTsv;
  if (name == "jsonl") return TableFormat::kJsonl;
  Fail("unknown table format '", name, "' (expected auto, csv, tsv or jsonl)");
}

TableReader::TableReader(SourceText* text, TableFormat format, std::vector<std::string> columns, bool check_utf8)
    : text_(text), format_(ResolveTableFormat(format, text->name())), columns_(std::move(columns)) {
  if (check_utf8) text_->RequireUtf8();
  pos_ = text_->BomLength();
  if (format_ == TableFormat::kJsonl) return;
  csv_ = std::make_unique<CsvReader>(text_, format_ == TableFormat::kTsv ? '\t' : ',');
  if (!csv_->Next(&fields_)) Fail(text_->name(), ": empty file (expected a header)");
  header_size_ = fields_.size();
  for (const std::string& column : columns_) {
    int found = -1;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i] == column) {
        if (found >= 0) text_->FailAt(csv_->line(), "column '", column, "' appears twice");
        found = static_cast<int>(i);
      }
    }
    if (found < 0) text_->FailAt(csv_->line(), "unknown column '", column, "' (the header has: ", JoinViews(fields_), ")");
    positions_.push_back(found);
  }
}

TableReader::TableReader(const TableReader& table, size_t begin, int64_t line)
    : text_(table.text_),
      format_(table.format_),
      columns_(table.columns_),
      positions_(table.positions_),
      header_size_(table.header_size_) {
  DEEPER_REQUIRE(format_ != TableFormat::kJsonl, text_->name(), ": a JSONL table is read in one piece");
  csv_ = std::make_unique<CsvReader>(text_, format_ == TableFormat::kTsv ? '\t' : ',', begin, line);
}

int64_t TableReader::line() const { return csv_ ? csv_->line() : line_; }

bool TableReader::Next(std::vector<std::string_view>* values) {
  return format_ == TableFormat::kJsonl ? NextJsonl(values) : NextCsv(values);
}

bool TableReader::NextCsv(std::vector<std::string_view>* values) {
  if (!csv_->Next(&fields_)) return false;
  if (fields_.size() != header_size_) {
    text_->FailAt(csv_->line(), "wrong number of fields: ", fields_.size(), ", expected ", header_size_,
                  " (truncated or malformed row)");
  }
  values->resize(positions_.size());
  for (size_t i = 0; i < positions_.size(); ++i) (*values)[i] = fields_[positions_[i]];
  return true;
}

bool TableReader::NextJsonl(std::vector<std::string_view>* values) {
  const std::string_view all = text_->view();
  while (pos_ < all.size()) {
    size_t end = all.find('\n', pos_);
    if (end == std::string_view::npos) end = all.size();
    std::string_view content = all.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(content);
    } catch (const nlohmann::json::exception& e) {
      text_->FailAt(line_, "broken JSON (", e.what(), ")");
    }
    if (!record.is_object()) text_->FailAt(line_, "expected a JSON object");
    scratch_.resize(columns_.size());
    values->resize(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto it = record.find(columns_[i]);
      if (it == record.end()) text_->FailAt(line_, "unknown column '", columns_[i], "' (no such key)");
      if (it->is_string()) {
        scratch_[i] = it->get<std::string>();
      } else if (it->is_number()) {
        scratch_[i] = it->dump();
      } else {
        text_->FailAt(line_, "'", columns_[i], "' is neither a string nor a number");
      }
      (*values)[i] = scratch_[i];
    }
    return true;
  }
  return false;
}

}  // namespace deeper
