// DPO metrics with TRL's names, summed over ranks so every rank holds identical numbers, and the
// metrics.jsonl log (one JSON object per line: step, epoch, then the metrics).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace deeper {

class Communicator;
struct DpoLossOutput;

using Metrics = std::vector<std::pair<std::string, double>>;

// Per-pair sums of: loss, rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins,
// logps/chosen, logps/rejected, sft_loss, and the pair count. Kept on the device (no sync per batch).
class DpoMetricSums {
 public:
  explicit DpoMetricSums(c10::Device device);
  // Adds the B pairs of one micro-batch (`losses` are the per-pair losses).
  void Add(const DpoLossOutput& out);
  // The sums of every rank's micro-batches, added in micro-batch order: every rank gets the same
  // numbers, and the same ones whatever the world size. `mine` holds this rank's micro-batches
  // [first, first + mine.size()) of `total` (collective).
  static DpoMetricSums InUnitOrder(Communicator& comm, const std::vector<DpoMetricSums>& mine, int64_t first,
                                   int64_t total, c10::Device device);
  // Means over the pairs, named as TRL names them, each prefixed with `prefix` ("" or "eval_").
  Metrics Means(const std::string& prefix) const;
  double pairs() const;

 private:
  at::Tensor sums_;  // [9] float64
};

// {"step": step, "epoch": epoch, name: value, ...} on one line.
std::string MetricsJsonLine(int64_t step, double epoch, const Metrics& metrics);
// Appends one line to `path` (created when absent).
void AppendLine(const std::string& path, const std::string& line);
// Keeps only the records of `path` whose "step" is <= max_step (a resumed run rewrites what the killed
// run logged after its checkpoint). Atomic; no-op when the file does not exist.
void TruncateMetricsLog(const std::string& path, int64_t max_step);

}  // namespace deeper
