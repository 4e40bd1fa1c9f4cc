// An input file loaded for parsing: its bytes, its name for messages, and line numbers for errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace deeper {

class SourceText {
 public:
  // Maps the file copy-on-write: parsers may decode quoted fields in place without a copy of the
  // whole file, and the file on disk is never modified.
  static SourceText Open(const std::string& path);
  // Wraps bytes already in memory; `name` is used in messages.
  static SourceText FromString(std::string name, std::string bytes);

  SourceText(SourceText&& other) noexcept;
  SourceText& operator=(SourceText&& other) noexcept;
  SourceText(const SourceText&) = delete;
  SourceText& operator=(const SourceText&) = delete;
  ~SourceText();

  const std::string& name() const { return name_; }
  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_, size_}; }

  // 1-based line number of byte `offset` (counts '\n' before it).
  int64_t LineAt(size_t offset) const;
  // Length of a leading UTF-8 byte order mark (0 or 3).
  size_t BomLength() const;
  // Throws "NAME:LINE: invalid UTF-8 ..." at the first malformed byte (of bytes [begin, end), which
  // must not split a character).
  void RequireUtf8() const { RequireUtf8(0, size_); }
  void RequireUtf8(size_t begin, size_t end) const;

  // Throws deeper::Error "NAME:LINE: parts...".
  template <typename... Parts>
  [[noreturn]] void FailAt(int64_t line, const Parts&... parts) const {
    Fail(name_, ":", line, ": ", parts...);
  }

 private:
  SourceText() = default;
  void Release();

  std::string name_;
  std::string owned_;  // Backing store for FromString.
  char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace deeper
