// One supervised fine-tuning example: a rendered chat prompt and the assistant's completion (ending
// with the end-of-turn token). Only completion tokens are trained on. Torch-free.
//
// A packed example holds several continuations of one prompt (e.g. one persona, many items): then
// `completion` is empty and each branch is a further prompt + completion that follows `prompt` alone.
// The trainer lays the branches out in one row but lets each see only `prompt` and itself, at the
// positions it would have right after `prompt`, so every branch trains exactly as the unpacked
// example prompt + branch would, while the shared prompt is computed once.
#pragma once

#include <cstdint>
#include <vector>

namespace deeper {

struct SftBranch {
  std::vector<int64_t> prompt;      // Non-empty.
  std::vector<int64_t> completion;  // Non-empty.
};

struct SftExample {
  std::vector<int64_t> prompt;      // Non-empty.
  std::vector<int64_t> completion;  // Non-empty, unless the example is packed (branches non-empty).
  std::vector<SftBranch> branches;  // Packed continuations of `prompt`.

  bool packed() const { return !branches.empty(); }
  // Tokens in the (packed) row.
  int64_t length() const {
    auto n = static_cast<int64_t>(prompt.size() + completion.size());
    for (const auto& b : branches) n += static_cast<int64_t>(b.prompt.size() + b.completion.size());
    return n;
  }
};

}  // namespace deeper
