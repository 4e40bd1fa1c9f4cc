// Child processes for the training tests: start a program, watch files it writes, kill it or one of its
// processes, and wait with a deadline (a test must never hang because the job it started does).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace deeper::train_testing {

class Subprocess {
 public:
  // Starts argv (argv[0] looked up in PATH) in its own process group with `extra_env` ("NAME=value")
  // added; stdout and stderr go to `log_path`.
  Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
             const std::string& log_path);
  ~Subprocess();  // kills the whole group if still running

  pid_t pid() const { return pid_; }
  // Waits up to timeout_s; returns false on timeout (the process keeps running).
  bool Wait(double timeout_s);
  // After Wait returned true: exit code, or 128 + signal when a signal ended it.
  int status() const { return status_; }
  void KillGroup();

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
};

// Polls `predicate` every 50 ms for up to timeout_s; returns whether it became true.
bool WaitFor(double timeout_s, const std::function<bool()>& predicate);

}  // namespace deeper::train_testing
