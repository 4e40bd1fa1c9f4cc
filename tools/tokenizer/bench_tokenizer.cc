// Encode/decode throughput of deeper::Tokenizer, single thread.
//   bench_tokenizer --tokenizers DIR1,DIR2 --text FILE [--min_mb 16] [--runs 5]
// FILE is read as lines (e.g. item names, one per line; CSV is fine). The lines are repeated until
// the corpus has --min_mb MB. For each tokenizer this prints MB/s (of UTF-8 input text), from
// wall-clock time and, in brackets, from the thread's CPU time (steadier on a shared machine), for:
//   encode/line   one Encode call per line (the pipeline's use), first run (cold word cache) and
//                 the median of --runs runs
//   encode/whole  the whole corpus in one Encode call, median
//   decode        Decode of each line's ids, median (MB of decoded text per second)
#include <gflags/gflags.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/files.h"
#include "model/tokenizer/tokenizer.h"

DEFINE_string(tokenizers, "", "comma-separated tokenizer directories (tokenizer.json + tokenizer_config.json)");
DEFINE_string(text, "", "text file; each line is one document");
DEFINE_double(min_mb, 16.0, "repeat the lines until the corpus has this many MB");
DEFINE_int32(runs, 5, "timed runs per measurement (the median is printed)");

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall and CPU seconds of one run.
struct Timing {
  double wall;
  double cpu;
};

template <typename F>
Timing Time(F&& f) {
  auto a = Clock::now();
  double c = ThreadCpuSeconds();
  f();
  return {Seconds(a, Clock::now()), ThreadCpuSeconds() - c};
}

std::string Rate(double mb, const std::vector<Timing>& runs) {
  std::vector<double> wall, cpu;
  for (const Timing& t : runs) {
    wall.push_back(t.wall);
    cpu.push_back(t.cpu);
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%8.1f MB/s [cpu %6.1f MB/s]", mb / Median(wall), mb / Median(cpu));
  return buf;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int Run() {
  DEEPER_REQUIRE(!FLAGS_tokenizers.empty() && !FLAGS_text.empty(), "--tokenizers and --text are required");
  DEEPER_REQUIRE(FLAGS_runs > 0, "--runs must be positive");
  const std::string raw = deeper::ReadFile(FLAGS_text);
  std::vector<std::string> base;
  std::stringstream in(raw);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) base.push_back(line);
  }
  DEEPER_REQUIRE(!base.empty(), FLAGS_text, ": no text");
  std::vector<std::string> lines;
  size_t bytes = 0;
  const auto target = static_cast<size_t>(FLAGS_min_mb * 1e6);
  while (bytes < target) {
    for (const std::string& line : base) {
      lines.push_back(line);
      bytes += line.size();
    }
  }
  std::string whole;
  whole.reserve(bytes + lines.size());
  for (const std::string& line : lines) whole += line + "\n";
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("corpus: %s, %zu distinct lines repeated to %zu lines, %.1f MB; median of %d runs\n",
              FLAGS_text.c_str(), base.size(), lines.size(), mb, FLAGS_runs);

  for (const std::string& dir : SplitList(FLAGS_tokenizers)) {
    auto t0 = Clock::now();
    deeper::Tokenizer tok = deeper::Tokenizer::FromDirectory(dir);
    double load = Seconds(t0, Clock::now());

    std::vector<std::vector<int32_t>> ids(lines.size());
    std::vector<Timing> encode_runs;
    for (int r = 0; r < FLAGS_runs + 1; ++r) {  // run 0 starts with an empty word cache
      encode_runs.push_back(Time([&] {
        for (size_t i = 0; i < lines.size(); ++i) ids[i] = tok.Encode(lines[i], /*add_special_tokens=*/false);
      }));
    }
    size_t tokens = 0;
    for (const auto& v : ids) tokens += v.size();
    const std::vector<Timing> cold(encode_runs.begin(), encode_runs.begin() + 1);
    encode_runs.erase(encode_runs.begin());

    std::vector<Timing> whole_runs;
    for (int r = 0; r < FLAGS_runs; ++r) {
      whole_runs.push_back(Time([&] { tok.Encode(whole, /*add_special_tokens=*/false); }));
    }

    std::vector<Timing> decode_runs;
    size_t decoded_bytes = 0;
    for (int r = 0; r < FLAGS_runs; ++r) {
      decoded_bytes = 0;
      decode_runs.push_back(Time([&] {
        for (const auto& v : ids) decoded_bytes += tok.Decode(v, /*skip_special_tokens=*/false).size();
      }));
    }
    std::printf("%s: load %.2f s, %zu tokens (%.2f bytes/token)\n", dir.c_str(), load, tokens,
                static_cast<double>(bytes) / static_cast<double>(tokens));
    std::printf("  encode/line   %s median; first run (cold cache) %s\n", Rate(mb, encode_runs).c_str(),
                Rate(mb, cold).c_str());
    std::printf("  encode/whole  %s median\n", Rate(static_cast<double>(whole.size()) / 1e6, whole_runs).c_str());
    std::printf("  decode        %s median\n", Rate(static_cast<double>(decoded_bytes) / 1e6, decode_runs).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("bench_tokenizer --tokenizers DIR1,DIR2 --text FILE");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  try {
    return Run();
  } catch (const deeper::Error& e) {
    std::cerr << "bench_tokenizer: " << e.what() << "\n";
    return 1;
  }
}
