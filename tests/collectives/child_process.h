// Runs a program with a deadline and captures its output: the failure tests must never hang
// themselves when the job they start does.
#pragma once

#include <string>
#include <vector>

namespace deeper::testing {

struct ChildResult {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  double seconds = 0;
  std::string output;  // stdout and stderr together
};

// Starts argv[0] (looked up in PATH) with `extra_env` ("NAME=value") added to this environment, in its
// own process group; past `timeout_s` the whole group is killed and timed_out is set.
ChildResult RunWithTimeout(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                           double timeout_s);

}  // namespace deeper::testing
