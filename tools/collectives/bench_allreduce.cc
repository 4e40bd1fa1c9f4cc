// Bucketed vs per-tensor gradient all-reduce on the gradients of a Llama-like model, under mpirun
// (tools/collectives/bench.sh). Prints one table row per (gradient list, method, bucket size): the median
// over --runs of the slowest rank's time, the bus bandwidth 2(N-1)/N * bytes / time, and the speed-up
// over one all-reduce per tensor.
#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/randn.h>
#include <gflags/gflags.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "distributed/collectives/communicator.h"
#include "distributed/collectives/gradient_bucketer.h"
#include "distributed/collectives/job_guard.h"
#include "distributed/world.h"
#include "tools/collectives/llama_gradients.h"

DEFINE_int32(runs, 7, "timed runs per row (the median is printed)");
DEFINE_int32(warmup, 2, "untimed runs before each row");
DEFINE_string(dtype, "float", "gradient dtype: float, bfloat16, half or double");
DEFINE_string(bucket_mb, "0.25,1,4,25", "bucket sizes in MiB, comma-separated");
DEFINE_string(lists, "full,lora", "gradient lists: full (every weight) and/or lora (r=--lora_rank on all linears)");
DEFINE_int32(lora_rank, 16, "LoRA rank");
DEFINE_int32(layers, 8, "decoder layers of the Llama-like model (8 layers of width 512: ~40M parameters)");
DEFINE_int32(threads, 1, "intra-op threads per rank");
DEFINE_string(device, "cpu", "where the gradients live: cpu (MPI) or cuda (NCCL, one GPU per rank)");

namespace deeper {
namespace {

struct Row {
  std::string list;
  std::string method;
  double bucket_mb = 0;
  size_t buckets = 0;
  double ms = 0;
};

at::ScalarType ParseDtype(const std::string& name) {
  if (name == "float") return at::kFloat;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "half") return at::kHalf;
  if (name == "double") return at::kDouble;
  throw std::runtime_error("--dtype: unknown dtype " + name);
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::vector<at::Tensor> MakeParamsWithGrads(const std::vector<NamedShape>& shapes, at::TensorOptions options) {
  std::vector<at::Tensor> params;
  for (const NamedShape& s : shapes) {
    at::Tensor p = at::empty(s.shape, options);
    p.mutable_grad() = at::randn(s.shape, options);
    params.push_back(p);
  }
  return params;
}

// The slowest rank's time: the all-reduce is done when every rank has its result. The closing barrier
// also waits for the GPU (NCCL's Barrier synchronises the stream); on MPI it adds a few microseconds.
double SlowestRankMs(Communicator& comm, const std::function<void()>& op) {
  comm.Barrier();
  const auto start = std::chrono::steady_clock::now();
  op();
  comm.Barrier();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  return static_cast<double>(World::Get().MaxInt(ns.count())) / 1e6;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Methods take turns within each run, so that load from other processes on a shared machine drifts into
// every method alike instead of into whichever ran last.
std::vector<Row> BenchList(Communicator& comm, const std::string& list, std::vector<at::Tensor>& params) {
  std::vector<Row> rows = {{list, "per-tensor", 0, params.size(), 0}};
  std::vector<std::function<void()>> ops = {[&] {
    for (at::Tensor& p : params) comm.AllReduceMean(p.mutable_grad());
  }};
  std::vector<std::unique_ptr<GradientBucketer>> bucketers;
  for (const std::string& mb : Split(FLAGS_bucket_mb)) {
    const double bucket_mb = std::stod(mb);
    bucketers.push_back(
        std::make_unique<GradientBucketer>(comm, params, static_cast<int64_t>(bucket_mb * (1 << 20))));
    GradientBucketer* bucketer = bucketers.back().get();
    rows.push_back({list, "bucketed", bucket_mb, bucketer->buckets().size(), 0});
    ops.push_back([bucketer] { bucketer->AllReduceMeanGradients(); });
  }
  for (int i = 0; i < FLAGS_warmup; ++i) {
    for (auto& op : ops) op();
  }
  std::vector<std::vector<double>> times(ops.size());
  for (int run = 0; run < FLAGS_runs; ++run) {
    for (size_t i = 0; i < ops.size(); ++i) times[i].push_back(SlowestRankMs(comm, ops[i]));
  }
  for (size_t i = 0; i < ops.size(); ++i) rows[i].ms = Median(times[i]);
  return rows;
}

const char* kHeader =
    "| list  | tensors |   params |   MiB | method     | bucket MiB | buckets | median ms | bus GB/s | speed-up |\n"
    "|-------|--------:|---------:|------:|------------|-----------:|--------:|----------:|---------:|---------:|\n";

std::string BucketLabel(const Row& r) {
  if (r.method == "per-tensor") return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%g", r.bucket_mb);
  return text;
}

void PrintRows(const std::vector<Row>& rows, int ranks, int64_t numel, size_t tensors, int64_t element_bytes) {
  const double bytes = static_cast<double>(numel * element_bytes);
  const double per_tensor_ms = rows.front().ms;
  for (const Row& r : rows) {
    const double bus_gbps = 2.0 * (ranks - 1) / ranks * bytes / (r.ms * 1e-3) / 1e9;
    std::printf("| %-5s | %7zu | %7.2fM | %5.1f | %-10s | %10s | %7zu | %9.2f | %8.2f | %7.2fx |\n", r.list.c_str(),
                tensors, numel / 1e6, bytes / (1 << 20), r.method.c_str(), BucketLabel(r).c_str(), r.buckets, r.ms,
                bus_gbps, per_tensor_ms / r.ms);
  }
}

int Run() {
  if (FLAGS_runs < 1 || FLAGS_warmup < 0) throw std::runtime_error("--runs must be >= 1 and --warmup >= 0");
  at::set_num_threads(FLAGS_threads);
  c10::Device device(FLAGS_device);
  if (device.is_cuda() && !device.has_index()) {  // one GPU per rank of the node, as MakeCommunicator picks
    const char* local_rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
    device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank ? std::atoi(local_rank) : 0));
  }
  auto comm = MakeCommunicator(device);
  const at::ScalarType dtype = ParseDtype(FLAGS_dtype);
  LlamaShape model;
  model.layers = FLAGS_layers;
  if (comm->rank() == 0) {
    // Other processes on the machine skew every figure: the load average says how much to trust them.
    double load[1] = {0};
    getloadavg(load, 1);
    std::printf("bench_allreduce: %d ranks, %s backend, %s gradients, median of %d runs after %d warm-up, "
                "%d intra-op thread(s) per rank, load average %.2f on %ld cores\n",
                comm->size(), comm->name().c_str(), c10::toString(dtype), FLAGS_runs, FLAGS_warmup, FLAGS_threads,
                load[0], sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("%s", kHeader);
  }
  for (const std::string& list : Split(FLAGS_lists)) {
    const std::vector<NamedShape> shapes = list == "lora" ? LoraShapes(model, FLAGS_lora_rank) : FullFineTuneShapes(model);
    std::vector<at::Tensor> params = MakeParamsWithGrads(shapes, at::TensorOptions().dtype(dtype).device(device));
    const std::vector<Row> rows = BenchList(*comm, list, params);
    if (comm->rank() == 0) PrintRows(rows, comm->size(), NumElements(shapes), shapes.size(), at::elementSize(dtype));
  }
  return 0;
}

}  // namespace
}  // namespace deeper

int main(int argc, char** argv) {
  deeper::World& world = deeper::World::Init(&argc, &argv);
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  const int rc = deeper::RunOrAbortJob(deeper::Run);
  world.Finalize();
  return rc;
}
