#include "train/metrics.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "train/dpo_loss.h"

namespace deeper {
namespace {

const char* const kNames[] = {"loss",           "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                              "rewards/margins", "logps/chosen",  "logps/rejected",   "sft_loss"};
constexpr int64_t kCount = 8;  // index of the pair count

}  // namespace

DpoMetricSums::DpoMetricSums(c10::Device device)
    : sums_(at::zeros({kCount + 1}, at::TensorOptions().dtype(at::kDouble).device(device))) {}

void DpoMetricSums::Add(const DpoLossOutput& out) {
  c10::NoGradGuard no_grad;
  const at::Tensor chosen = out.chosen_rewards.to(at::kDouble);
  const at::Tensor rejected = out.rejected_rewards.to(at::kDouble);
  const at::Tensor rows = at::stack({out.losses.detach().to(at::kDouble), chosen, rejected,
                                     chosen.gt(rejected).to(at::kDouble), chosen - rejected,
                                     out.chosen_logps.to(at::kDouble), out.rejected_logps.to(at::kDouble),
                                     out.sft_losses.to(at::kDouble), at::ones_like(chosen)});
  sums_.add_(rows.sum(1));
}

DpoMetricSums DpoMetricSums::InUnitOrder(Communicator& comm, const std::vector<DpoMetricSums>& mine, int64_t first,
                                         int64_t total, c10::Device device) {
  c10::NoGradGuard no_grad;
  at::Tensor rows = at::zeros({static_cast<int64_t>(mine.size()), kCount + 1}, at::TensorOptions().dtype(at::kDouble).device(device));
  for (size_t i = 0; i < mine.size(); ++i) rows[static_cast<int64_t>(i)].copy_(mine[i].sums_);
  const at::Tensor all = AssembleRows(comm, rows, first, total).to(at::kCPU).contiguous();
  const double* v = all.data_ptr<double>();
  std::vector<double> sums(kCount + 1, 0.0);
  for (int64_t u = 0; u < total; ++u) {
    for (int64_t k = 0; k <= kCount; ++k) sums[static_cast<size_t>(k)] += v[u * (kCount + 1) + k];
  }
  DpoMetricSums out(device);
  out.sums_.copy_(at::tensor(sums, at::kDouble));
  return out;
}

double DpoMetricSums::pairs() const { return sums_[kCount].item<double>(); }

Metrics DpoMetricSums::Means(const std::string& prefix) const {
  const at::Tensor host = sums_.to(at::kCPU).contiguous();
  const double* v = host.data_ptr<double>();
  const double n = v[kCount] > 0 ? v[kCount] : 1.0;
  Metrics metrics;
  for (int64_t i = 0; i < kCount; ++i) metrics.emplace_back(prefix + kNames[i], v[i] / n);
  return metrics;
}

std::string MetricsJsonLine(int64_t step, double epoch, const Metrics& metrics) {
  nlohmann::ordered_json j;
  j["step"] = step;
  j["epoch"] = epoch;
  for (const auto& [name, value] : metrics) j[name] = value;
  return j.dump();
}

void AppendLine(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  out.flush();
  DEEPER_REQUIRE(out.good(), path, ": cannot append a line");
}

void TruncateMetricsLog(const std::string& path, int64_t max_step) {
  if (!FileExists(path)) return;
  std::istringstream in(ReadFile(path));
  std::string line, kept;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      if (j.at("step").get<int64_t>() > max_step) continue;
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut by the kill
    }
    kept += line + "\n";
  }
  WriteFileAtomic(path, kept);
}

}  // namespace deeper
