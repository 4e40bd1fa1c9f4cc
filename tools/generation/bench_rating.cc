// Rating prediction: one persona prefix shared by many short items. Compares the shared-prefix path
// (prefix computed once, its KV cache reused by every batch of items) with one full forward per item
// (the naive reference) and with full forwards batched --batch at a time (no sharing).
//   bench_rating --model DIR --threads T [--prefix_len 512 --items 40 --suffix_min 12 --suffix_max 32]
//                [--batch 16] [--runs 3]
// With --personas N > 1 it scores N random personas with --items each through PredictRatingsGrouped
// (--max_prefixes personas prefilled together, --batch suffix rows per forward), as reward assignment
// does, and compares with the one-persona-at-a-time shared path.
// Prints `key=value` lines and the largest probability difference between the paths.
#include <gflags/gflags.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <vector>

#include "common/error.h"
#include "model/runtime.h"
#include "model/scoring.h"
#include "model/transformer.h"

DEFINE_string(model, "", "model directory");
DEFINE_int32(threads, 1, "intra-op threads");
DEFINE_int32(prefix_len, 512, "persona prefix tokens");
DEFINE_int32(items, 40, "items (suffixes) per prefix");
DEFINE_int32(suffix_min, 12, "shortest item suffix");
DEFINE_int32(suffix_max, 32, "longest item suffix");
DEFINE_int32(batch, 16, "suffixes per forward");
DEFINE_int32(personas, 1, "prefixes (personas); > 1 measures the grouped path");
DEFINE_int32(max_prefixes, 8, "personas prefilled together in the grouped path");
DEFINE_int32(runs, 3, "timed runs (the median is reported)");
DEFINE_uint64(seed, 1, "token seed");
DEFINE_string(device, "cpu", "cpu, cuda or cuda:N");
DEFINE_string(dtype, "", "weight dtype f32/bf16/f16 (empty: f32 on CPU, bf16 on CUDA)");

namespace deeper {
namespace {

std::vector<int64_t> RandomIds(uint64_t* state, int64_t n, int64_t vocab) {
  std::vector<int64_t> ids(n);
  for (int64_t& id : ids) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    id = 3 + static_cast<int64_t>((*state >> 33) % static_cast<uint64_t>(vocab - 3));
  }
  return ids;
}

// The slow paths run many forwards per call and warm themselves up: only the fast one gets a warm-up.
double MedianSeconds(const std::function<void()>& fn, bool warm_up) {
  if (warm_up) fn();
  std::vector<double> times;
  for (int run = 0; run < FLAGS_runs; ++run) {
    const auto begin = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double MaxDiff(const std::vector<RatingPrediction>& a, const std::vector<RatingPrediction>& b) {
  double diff = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t k = 0; k < a[i].probs.size(); ++k) diff = std::max(diff, std::abs(a[i].probs[k] - b[i].probs[k]));
  }
  return diff;
}

// --personas > 1: every persona its own random prefix and items, scored grouped vs one at a time.
int RunGrouped(const Transformer& model, const RatingScale& scale, ScoringOptions options) {
  uint64_t state = FLAGS_seed;
  std::vector<RatingGroup> groups(FLAGS_personas);
  for (RatingGroup& group : groups) {
    group.prefix = RandomIds(&state, FLAGS_prefix_len, model.config().vocab_size);
    for (int i = 0; i < FLAGS_items; ++i) {
      const int64_t spread = FLAGS_suffix_max - FLAGS_suffix_min + 1;
      group.suffixes.push_back(RandomIds(&state, FLAGS_suffix_min + static_cast<int64_t>(state >> 40) % spread,
                                         model.config().vocab_size));
    }
  }
  options.max_prefixes = FLAGS_max_prefixes;
  std::vector<std::vector<RatingPrediction>> grouped;
  std::vector<RatingPrediction> first;
  const double t_grouped = MedianSeconds([&] { grouped = PredictRatingsGrouped(model, groups, scale, options); }, true);
  const double t_each = MedianSeconds(
      [&] {
        for (const RatingGroup& group : groups) {
          std::vector<RatingPrediction> one = PredictRatings(model, group.prefix, group.suffixes, scale, options);
          if (&group == &groups.front()) first = std::move(one);
        }
      },
      true);
  const double ratings = static_cast<double>(FLAGS_personas) * FLAGS_items;
  std::cout << "impl=deeper-cpp device=" << FLAGS_device << " personas=" << FLAGS_personas << " prefix=" << FLAGS_prefix_len
            << " items=" << FLAGS_items << " suffix=" << FLAGS_suffix_min << ".." << FLAGS_suffix_max
            << " batch=" << options.max_batch << " max_prefixes=" << options.max_prefixes << "\n"
            << "grouped_s=" << t_grouped << "\nratings_per_s=" << ratings / t_grouped << "\none_persona_at_a_time_s=" << t_each
            << "\nspeedup_vs_one_at_a_time=" << t_each / t_grouped
            << "\nmax_prob_diff_vs_one_at_a_time=" << MaxDiff(grouped.front(), first) << "\n";
  return 0;
}

int Run() {
  DEEPER_REQUIRE(!FLAGS_model.empty(), "--model is required");
  SetTorchThreads(FLAGS_threads);
  ModelOptions model_options;
  model_options.device = ParseDevice(FLAGS_device);
  if (!FLAGS_dtype.empty()) model_options.dtype = ParseDtype(FLAGS_dtype);
  const auto model = Transformer::Load(FLAGS_model, model_options);
  const int64_t vocab = model->config().vocab_size;
  uint64_t state = FLAGS_seed;
  const std::vector<int64_t> prefix = RandomIds(&state, FLAGS_prefix_len, vocab);
  std::vector<std::vector<int64_t>> suffixes, full;
  for (int i = 0; i < FLAGS_items; ++i) {
    const int64_t spread = FLAGS_suffix_max - FLAGS_suffix_min + 1;
    const int64_t len = FLAGS_suffix_min + static_cast<int64_t>(state >> 40) % spread;
    suffixes.push_back(RandomIds(&state, len, vocab));
    full.push_back(prefix);
    full.back().insert(full.back().end(), suffixes.back().begin(), suffixes.back().end());
  }
  RatingScale scale;
  for (int64_t v = 1; v <= 5; ++v) {
    scale.token_ids.push_back(20 + v);
    scale.values.push_back(static_cast<double>(v));
  }
  ScoringOptions options;
  options.max_batch = FLAGS_batch;
  options.max_batch_tokens = 0;
  if (FLAGS_personas > 1) return RunGrouped(*model, scale, options);

  std::vector<RatingPrediction> shared, naive, batched;
  const double t_shared =
      MedianSeconds([&] { shared = PredictRatings(*model, prefix, suffixes, scale, options); }, true);
  const double t_naive = MedianSeconds([&] { naive = PredictRatingsNaive(*model, prefix, suffixes, scale); }, false);
  const double t_batched = MedianSeconds([&] { batched = PredictRatings(*model, {}, full, scale, options); }, false);
  std::cout << "impl=deeper-cpp device=" << FLAGS_device << " threads=" << FLAGS_threads << " prefix=" << FLAGS_prefix_len
            << " items=" << FLAGS_items << " suffix=" << FLAGS_suffix_min << ".." << FLAGS_suffix_max
            << " batch=" << FLAGS_batch << "\n"
            << "shared_s=" << t_shared << "\nratings_per_s=" << FLAGS_items / t_shared << "\nnaive_s=" << t_naive << "\nbatched_full_s=" << t_batched << "\n"
            << "speedup_vs_naive=" << t_naive / t_shared << "\nspeedup_vs_batched_full=" << t_batched / t_shared
            << "\nmax_prob_diff_vs_naive=" << MaxDiff(shared, naive)
            << "\nmax_prob_diff_vs_batched_full=" << MaxDiff(shared, batched) << "\n";
  return 0;
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  try {
    return deeper::Run();
  } catch (const std::exception& e) {
    std::cerr << "bench_rating: " << e.what() << "\n";
    return 1;
  }
}
