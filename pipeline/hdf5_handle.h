// Checked wrappers around the HDF5 C calls used by shards: every failure becomes a deeper::Error
// naming the file and the object, and every handle is closed by RAII.
#pragma once

#include <hdf5.h>

#include <string>

namespace deeper::h5 {

// Turns off HDF5's own error printing; our messages name the file and column instead.
void SilenceLibraryErrors();

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Returns the id, or throws with `what` (a description such as "file.h5: create dataset 'x'").
hid_t Check(hid_t id, const std::string& what);
void Check(herr_t status, const std::string& what, int /*tag for overload*/);

}  // namespace deeper::h5
