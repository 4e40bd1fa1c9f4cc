#include "pipeline/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace deeper {
namespace {
double g_line_interval_seconds = 10.0;
}

void Progress::SetLineInterval(double seconds) { g_line_interval_seconds = seconds; }

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof(buffer), "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lds", s);
  }
  return buffer;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  if (!finished_) Finish();
}

void Progress::Advance(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (terminal_ ? 0.2 : g_line_interval_seconds)) {
    last_print_ = now;
    Print(false);
  }
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) Print(true);
}

void Progress::Print(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  double eta = rate > 0 && total_ > 0 ? (total_ - done_) / rate : NAN;
  char line[256];
  if (terminal_) {
    const int width = 24;
    int filled = total_ > 0 ? static_cast<int>(width * static_cast<double>(done_) / total_) : 0;
    std::string bar(static_cast<size_t>(std::min(filled, width)), '#');
    bar.resize(width, '.');
    std::snprintf(line, sizeof(line), "\r%s [%s] %lld/%lld %s  %.1f %s/s  %s %s", label_.c_str(), bar.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), rate,
                  unit_.c_str(), final_line ? "took" : "eta",
                  FormatDuration(final_line ? elapsed : eta).c_str());
    std::fprintf(stderr, "%s\033[K%s", line, final_line ? "\n" : "");
  } else {
    std::snprintf(line, sizeof(line), "%s: %lld/%lld %s (%.0f%%), %.1f %s/s, %s %s\n", label_.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(),
                  total_ > 0 ? 100.0 * done_ / total_ : 100.0, rate, unit_.c_str(),
                  final_line ? "took" : "eta", FormatDuration(final_line ? elapsed : eta).c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace deeper
