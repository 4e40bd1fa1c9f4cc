#include "common/files.h"

#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/error.h"

namespace deeper {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DEEPER_REQUIRE(in.good(), path, ": cannot open for reading (", std::strerror(errno), ")");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  DEEPER_REQUIRE(!in.bad(), path, ": read error");
  return data;
}

std::string TemporarySibling(const std::string& path) {
  static std::atomic<int> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

void SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  DEEPER_REQUIRE(fd >= 0, path, ": cannot open to sync (", std::strerror(errno), ")");
  int rc = ::fsync(fd);
  ::close(fd);
  DEEPER_REQUIRE(rc == 0, path, ": fsync failed (", std::strerror(errno), ")");
}

void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // Some filesystems do not allow opening directories; the rename still happened.
  ::fsync(fd);
  ::close(fd);
}

void WriteViaTemporary(const std::string& path, const std::function<void(const std::string&)>& write) {
  const std::string tmp = TemporarySibling(path);
  try {
    write(tmp);
    SyncFile(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    Fail(path, ": cannot rename temporary into place (", std::strerror(err), ")");
  }
  SyncDirectory(std::filesystem::path(path).parent_path().string());
}

void WriteFileAtomic(const std::string& path, const std::string& contents) {
  WriteViaTemporary(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    DEEPER_REQUIRE(out.good(), tmp, ": cannot open for writing (", std::strerror(errno), ")");
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    DEEPER_REQUIRE(out.good(), tmp, ": write failed");
  });
}

void MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DEEPER_REQUIRE(!ec, dir, ": cannot create directory (", ec.message(), ")");
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

namespace {
// nftw's callback cannot carry state: the first entry that could not be removed, per thread.
thread_local std::string remove_failure;

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  if (::remove(path) == 0 || errno == ENOENT) return 0;
  remove_failure = std::string(path) + " (" + std::strerror(errno) + ")";
  return 1;
}

// Depth first (contents before their directory), without following symlinks.
bool RemoveTreeImpl(const std::string& path) {
  remove_failure.clear();
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return RemoveEntry(path.c_str(), &st, 0, nullptr) == 0;
  return ::nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}
}  // namespace

void RemoveTree(const std::string& path) {
  DEEPER_REQUIRE(RemoveTreeImpl(path), path, ": cannot remove ",
                 remove_failure.empty() ? std::string(std::strerror(errno)) : remove_failure);
}

bool TryRemoveTree(const std::string& path) noexcept {
  try {
    return RemoveTreeImpl(path);
  } catch (...) {
    return false;
  }
}

namespace {
struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string HexOf(const unsigned char* bytes, unsigned int n) {
  static const char* kHex = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (unsigned int i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return out;
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    DEEPER_REQUIRE(ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1, "SHA-256 init failed");
  }
  void Update(const void* data, size_t n) {
    DEEPER_REQUIRE(EVP_DigestUpdate(ctx_.get(), data, n) == 1, "SHA-256 update failed");
  }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    DEEPER_REQUIRE(EVP_DigestFinal_ex(ctx_.get(), digest, &n) == 1, "SHA-256 final failed");
    return HexOf(digest, n);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx_;
};
}  // namespace

std::string Sha256Hex(const std::string& bytes) {
  Sha256 sha;
  sha.Update(bytes.data(), bytes.size());
  return sha.HexDigest();
}

std::string Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DEEPER_REQUIRE(in.good(), path, ": cannot open for reading (", std::strerror(errno), ")");
  Sha256 sha;
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) sha.Update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  DEEPER_REQUIRE(!in.bad(), path, ": read error");
  return sha.HexDigest();
}

}  // namespace deeper
