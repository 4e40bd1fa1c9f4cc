// Errors the user can act on: every failure names the file, the record and what was expected.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace deeper {

// Thrown for bad input or a failed operation; `what()` is the whole message shown to the user.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
}  // namespace detail

// Builds a message from pieces: Fail("shard ", path, ": expected ", n, " rows").
template <typename... Parts>
[[noreturn]] void Fail(const Parts&... parts) {
  std::ostringstream out;
  detail::append(out, parts...);
  throw Error(out.str());
}

// Throws deeper::Error with the given pieces when `condition` is false.
#define DEEPER_REQUIRE(condition, ...)        \
  do {                                        \
    if (!(condition)) ::deeper::Fail(__VA_ARGS__); \
  } while (0)

}  // namespace deeper
