// Progress of a long loop, printed by rank 0 only: a redrawn bar on a terminal, a line every few
// seconds otherwise (logs of batch jobs), always with rate and ETA.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace deeper {

class Progress {
 public:
  // `enabled` is false on ranks other than 0. `unit` names what is counted ("users", "tokens").
  Progress(std::string label, int64_t total, std::string unit, bool enabled);
  ~Progress();

  void Advance(int64_t n = 1);
  void Finish();

  // Seconds between lines when stderr is not a terminal (default 10).
  static void SetLineInterval(double seconds);

 private:
  void Print(bool final_line);

  std::string label_;
  std::string unit_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// "1h02m", "3m05s", "12s".
std::string FormatDuration(double seconds);

}  // namespace deeper
