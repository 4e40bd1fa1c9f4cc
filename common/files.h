// File helpers that never leave a half-written output behind.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace deeper {

// Reads a whole file; throws deeper::Error naming the path when it cannot.
std::string ReadFile(const std::string& path);

// Writes `contents` to `path` atomically: a temporary sibling is written, flushed (fsync) and renamed.
void WriteFileAtomic(const std::string& path, const std::string& contents);

// Calls `write(tmp_path)` to produce the file, then fsyncs and renames tmp_path onto `path`.
// If `write` throws, the temporary is removed and the exception propagates: `path` is untouched.
void WriteViaTemporary(const std::string& path, const std::function<void(const std::string& tmp_path)>& write);

// A temporary name next to `path` that no other process of this host uses (pid + counter).
std::string TemporarySibling(const std::string& path);

// fsync of a file and of its directory, so a rename survives a crash.
void SyncFile(const std::string& path);
void SyncDirectory(const std::string& dir);

// Creates a directory and its parents; no error when it exists.
void MakeDirs(const std::string& dir);

bool FileExists(const std::string& path);

// Removes `path` and everything under it (symlinks themselves, not their targets); a path that does
// not exist is no error. Not std::filesystem::remove_all: libtorch 2.x wheels export their own copy
// of it, which an executable linking libtorch binds to, and that copy calls a libstdc++ internal
// (recursive_directory_iterator::__erase) that the system's libstdc++ may lack: a call through a
// null pointer. RemoveTree throws deeper::Error naming the entry it could not remove;
// TryRemoveTree returns false instead (for destructors and clean-up paths).
void RemoveTree(const std::string& path);
bool TryRemoveTree(const std::string& path) noexcept;

// Lowercase hex SHA-256 of bytes and of a file's contents.
std::string Sha256Hex(const std::string& bytes);
std::string Sha256File(const std::string& path);

}  // namespace deeper
