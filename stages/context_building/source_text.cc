#include "stages/context_building/source_text.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "stages/context_building/utf8.h"

namespace deeper {

SourceText SourceText::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  DEEPER_REQUIRE(fd >= 0, path, ": cannot open for reading (", std::strerror(errno), ")");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Fail(path, ": not a regular file");
  }
  SourceText text;
  text.name_ = path;
  text.size_ = static_cast<size_t>(st.st_size);
  if (text.size_ == 0) {
    ::close(fd);
    text.data_ = text.owned_.data();
    return text;
  }
  // Private and writable: parsers decode quoted fields in place, and only the pages they write are
  // copied. (MAP_POPULATE would copy every page of a writable private mapping up front.)
  void* addr = ::mmap(nullptr, text.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  DEEPER_REQUIRE(addr != MAP_FAILED, path, ": cannot map (", std::strerror(err), ")");
  ::madvise(addr, text.size_, MADV_SEQUENTIAL);
  ::madvise(addr, text.size_, MADV_WILLNEED);
  text.data_ = static_cast<char*>(addr);
  text.mapped_ = true;
  return text;
}

SourceText SourceText::FromString(std::string name, std::string bytes) {
  SourceText text;
  text.name_ = std::move(name);
  text.owned_ = std::move(bytes);
  text.data_ = text.owned_.data();
  text.size_ = text.owned_.size();
  return text;
}

SourceText::SourceText(SourceText&& other) noexcept { *this = std::move(other); }

SourceText& SourceText::operator=(SourceText&& other) noexcept {
  if (this == &other) return *this;
  Release();
  name_ = std::move(other.name_);
  mapped_ = other.mapped_;
  size_ = other.size_;
  if (mapped_) {
    data_ = other.data_;
  } else {
    owned_ = std::move(other.owned_);
    data_ = owned_.data();
  }
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = false;
  return *this;
}

SourceText::~SourceText() { Release(); }

void SourceText::Release() {
  if (mapped_) ::munmap(data_, size_);
  mapped_ = false;
  data_ = nullptr;
  size_ = 0;
}

int64_t SourceText::LineAt(size_t offset) const {
  offset = std::min(offset, size_);
  return 1 + std::count(data_, data_ + offset, '\n');
}

size_t SourceText::BomLength() const { return view().substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; }

void SourceText::RequireUtf8(size_t begin, size_t end) const {
  begin = std::min(begin, size_);
  const size_t found = FindInvalidUtf8(view().substr(begin, std::min(end, size_) - begin));
  if (found == std::string_view::npos) return;
  const size_t bad = begin + found;
  const size_t newline = bad == 0 ? std::string_view::npos : view().rfind('\n', bad - 1);
  const size_t column = newline == std::string_view::npos ? bad + 1 : bad - newline;
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(data_[bad]));
  FailAt(LineAt(bad), "invalid UTF-8 (byte ", byte, " at column ", column, ")");
}

}  // namespace deeper
