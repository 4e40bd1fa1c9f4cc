// Context-building throughput: reading the release's split CSVs, and building windows from a raw
// ratings log. Timed side by side with bench_contexts_pandas.py by bench.sh; not a test.
//
//   bench_contexts generate --rows N --out DIR        writes DIR/ratings.csv and DIR/items.csv
//   bench_contexts csv [--repeat 3] [--round K --out FILE] FILE...
//   bench_contexts ratings --ratings FILE --items FILE [--repeat 3] [--round K --out FILE]
//
// The timed part reads the files and returns the contexts in memory (as the pandas script does);
// writing --out happens after timing, for comparing the two outputs byte for byte.
// Prints: rows=N median_s=S cpu_median_s=C runs=S1,S2,...  (wall and process CPU seconds per run;
// CPU time is the steadier figure on a shared machine).
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/files.h"
#include "stages/context_building/deeper_csv_reader.h"
#include "stages/context_building/ratings_log_reader.h"
#include "stages/context_building/round_writer.h"

namespace deeper {
namespace {

struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
};

Args ParseArgs(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      DEEPER_REQUIRE(i + 1 < argc, a, " needs a value");
      args.flags[a.substr(2)] = argv[++i];
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::string Flag(const Args& args, const std::string& name, const std::string& fallback = "") {
  const auto it = args.flags.find(name);
  return it == args.flags.end() ? fallback : it->second;
}

// Appends to a file through a large buffer.
class BufferedFile {
 public:
  explicit BufferedFile(const std::string& path) : file_(std::fopen(path.c_str(), "wb")), path_(path) {
    DEEPER_REQUIRE(file_ != nullptr, path, ": cannot open for writing");
  }
  ~BufferedFile() {
    if (file_ != nullptr) std::fclose(file_);
  }
  std::string& buffer() { return buffer_; }
  void MaybeFlush() {
    if (buffer_.size() > (8u << 20)) Flush();
  }
  void Close() {
    Flush();
    DEEPER_REQUIRE(std::fclose(file_) == 0, path_, ": write failed");
    file_ = nullptr;
  }

 private:
  void Flush() {
    DEEPER_REQUIRE(std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size(), path_, ": write failed");
    buffer_.clear();
  }
  std::FILE* file_;
  std::string path_;
  std::string buffer_;
};

void AppendInt(int64_t v, std::string* out) {
  char buffer[24];
  out->append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
}

// Titles with what real catalogues have: quoted commas, doubled quotes, HTML entities, non-ASCII.
void AppendTitle(int64_t item, std::string* out) {
  const std::string year = std::to_string(1930 + item % 90);
  const std::string number = std::to_string(item);
  if (item % 5 == 0) {
    *out += "\"Title, The " + number + " (" + year + ")\"";
  } else if (item % 11 == 0) {
    *out += "\"The \"\"Quoted\"\" " + number + " (" + year + ")\"";
  } else if (item % 7 == 0) {
    *out += "Tom &amp; Jerry " + number + " (" + year + ")";
  } else if (item % 13 == 0) {
    *out += "Am\xC3\xA9lie " + number + " (" + year + ")";
  } else {
    *out += "Movie " + number + " (" + year + ")";
  }
}

// A MovieLens-like log in time order: skewed user activity and item popularity, half-star ratings,
// timestamps that interleave users and sometimes tie.
int Generate(const Args& args) {
  const int64_t rows = std::stoll(Flag(args, "rows", "20000000"));
  const int64_t users = std::stoll(Flag(args, "users", std::to_string(std::max<int64_t>(1, rows / 100))));
  const int64_t items = std::stoll(Flag(args, "items", "50000"));
  const std::string dir = Flag(args, "out");
  DEEPER_REQUIRE(!dir.empty(), "generate needs --out DIR");
  MakeDirs(dir);
  std::mt19937_64 rng(std::stoull(Flag(args, "seed", "1")));
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  BufferedFile table(dir + "/items.csv");
  table.buffer() = "movieId,title\n";
  for (int64_t i = 1; i <= items; ++i) {
    AppendInt(i, &table.buffer());
    table.buffer() += ',';
    AppendTitle(i, &table.buffer());
    table.buffer() += '\n';
    table.MaybeFlush();
  }
  table.Close();

  BufferedFile log(dir + "/ratings.csv");
  log.buffer() = "userId,movieId,rating,timestamp\n";
  static const char* const kRatings[] = {"0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"};
  for (int64_t r = 0; r < rows; ++r) {
    const double x = unit(rng), y = unit(rng);
    std::string& out = log.buffer();
    AppendInt(1 + static_cast<int64_t>(users * x * x), &out);
    out += ',';
    AppendInt(1 + static_cast<int64_t>(items * y * y * y), &out);
    out += ',';
    out += kRatings[rng() % 10];
    out += ',';
    AppendInt(1000000000 + r * 3 + static_cast<int64_t>(rng() % 6), &out);
    out += '\n';
    log.MaybeFlush();
  }
  log.Close();
  std::cout << "generated " << rows << " ratings of up to " << users << " users and " << items << " items in "
            << dir << "\n";
  return 0;
}

double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename Build>
int Time(const Args& args, const Build& build) {
  const int repeat = std::stoi(Flag(args, "repeat", "3"));
  DEEPER_REQUIRE(repeat >= 1, "--repeat must be >= 1");
  std::vector<double> seconds, cpu_seconds;
  std::vector<UserContext> users;
  size_t rows = 0;
  for (int i = 0; i < repeat; ++i) {
    users.clear();
    users.shrink_to_fit();
    const double cpu_start = ProcessCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    rows = build(&users);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu_seconds.push_back(ProcessCpuSeconds() - cpu_start);
  }
  if (!Flag(args, "out").empty()) {
    WriteFileAtomic(Flag(args, "out"), FormatRoundJsonl(users, std::stoi(Flag(args, "round", "1"))));
  }
  std::printf("rows=%zu median_s=%.6f cpu_median_s=%.6f runs=", rows, Median(seconds), Median(cpu_seconds));
  for (size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.4f", i ? "," : "", seconds[i]);
  std::printf("\n");
  return 0;
}

int BenchCsv(const Args& args) {
  DEEPER_REQUIRE(!args.positional.empty(), "csv needs one or more files");
  return Time(args, [&](std::vector<UserContext>* users) {
    for (const std::string& path : args.positional) {
      std::vector<UserContext> part = ReadDeeperCsv(path);
      users->insert(users->end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return users->size();  // One record per user.
  });
}

int BenchRatings(const Args& args) {
  const std::string ratings = Flag(args, "ratings");
  DEEPER_REQUIRE(!ratings.empty(), "ratings needs --ratings FILE");
  return Time(args, [&](std::vector<UserContext>* users) {
    RatingsLogStats stats;
    *users = ReadRatingsLog(ratings, Flag(args, "items"), RatingsLogOptions(), &stats);
    return stats.rows;
  });
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_contexts generate|csv|ratings [--flags] (see the top of bench_contexts.cc)\n";
    return 2;
  }
  const std::string mode = argv[1];
  const Args args = ParseArgs(argc, argv, 2);
  if (mode == "generate") return Generate(args);
  if (mode == "csv") return BenchCsv(args);
  if (mode == "ratings") return BenchRatings(args);
  std::cerr << "bench_contexts: unknown mode '" << mode << "'\n";
  return 2;
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) {
  try {
    return deeper::Main(argc, argv);
  } catch (const deeper::Error& e) {
    std::cerr << "bench_contexts: error: " << e.what() << "\n";
    return 1;
  }
}
