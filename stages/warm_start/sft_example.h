// One supervised fine-tuning example: a rendered chat prompt and the assistant's completion (ending
// with the end-of-turn token). Only completion tokens are trained on. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

namespace deeper {

struct SftExample {
  std::vector<int64_t> prompt;      // Non-empty.
  std::vector<int64_t> completion;  // Non-empty.

  int64_t length() const { return static_cast<int64_t>(prompt.size() + completion.size()); }
};

}  // namespace deeper
