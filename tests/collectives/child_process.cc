#include "tests/collectives/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "common/error.h"

namespace deeper::testing {
namespace {

void CheckSys(bool ok, const char* call) {
  if (!ok) Fail(call, " failed: ", std::strerror(errno));
}

[[noreturn]] void ExecChild(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                            int out_fd) {
  setpgid(0, 0);  // its own group: a timeout kills mpirun and every rank it started
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  for (const std::string& assignment : extra_env) putenv(const_cast<char*>(assignment.c_str()));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

// Reads what is available within `wait_ms`; false at end of file.
bool ReadSome(int fd, int wait_ms, std::string* out) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, wait_ms) <= 0) return true;
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n <= 0) return false;
  out->append(buffer, static_cast<size_t>(n));
  return true;
}

}  // namespace

ChildResult RunWithTimeout(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                           double timeout_s) {
  int fds[2];
  CheckSys(pipe(fds) == 0, "pipe");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  CheckSys(pid >= 0, "fork");
  if (pid == 0) {
    close(fds[0]);
    ExecChild(argv, extra_env, fds[1]);
  }
  close(fds[1]);
  ChildResult result;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  int status = 0;
  bool open = true;
  for (;;) {
    if (open) open = ReadSome(fds[0], 50, &result.output);
    else usleep(50 * 1000);
    const pid_t done = waitpid(pid, &status, WNOHANG);
    CheckSys(done >= 0, "waitpid");
    if (done == pid) break;
    if (elapsed() > timeout_s) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      CheckSys(waitpid(pid, &status, 0) == pid, "waitpid");
      break;
    }
  }
  result.seconds = elapsed();
  // What the job printed last; orphans of a killed job may hold the pipe, so stop after a second.
  const double drain_until = result.seconds + 1.0;
  while (open && elapsed() < drain_until) open = ReadSome(fds[0], 50, &result.output);
  close(fds[0]);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace deeper::testing
