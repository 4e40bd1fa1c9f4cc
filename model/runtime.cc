#include "model/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#ifdef DEEPER_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <thread>

#include "common/error.h"

namespace deeper {

int SetTorchThreads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return at::get_num_threads();
}

c10::ScalarType ParseDtype(const std::string& name) {
  if (name == "f32" || name == "float32" || name == "fp32") return c10::kFloat;
  if (name == "f16" || name == "float16" || name == "fp16") return c10::kHalf;
  if (name == "bf16" || name == "bfloat16") return c10::kBFloat16;
  Fail("unknown dtype '", name, "' (expected f32, f16 or bf16)");
}

std::string HfDtypeName(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return "float32";
    case c10::kHalf: return "float16";
    case c10::kBFloat16: return "bfloat16";
    default: Fail("dtype ", c10::toString(dtype), " has no HF torch_dtype name here");
  }
}

c10::Device ParseDevice(const std::string& name) {
  if (name == "auto") return at::hasCUDA() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  try {
    return c10::Device(name);
  } catch (const std::exception&) {
    Fail("unknown device '", name, "' (expected cpu, cuda, cuda:N or auto)");
  }
}

c10::ScalarType DefaultDtypeFor(c10::Device device) { return device.is_cuda() ? c10::kBFloat16 : c10::kFloat; }

#ifdef DEEPER_WITH_CUDA
namespace {
c10::DeviceIndex CudaIndex(c10::Device device) { return device.has_index() ? device.index() : 0; }
// Entry 0 of a DeviceStats array is the aggregate over both pools (StatType::AGGREGATE).
constexpr size_t kAggregate = 0;
}  // namespace

int64_t PeakDeviceMemory(c10::Device device) {
  if (!device.is_cuda()) return -1;
  return c10::cuda::CUDACachingAllocator::getDeviceStats(CudaIndex(device)).allocated_bytes[kAggregate].peak;
}

void ResetPeakDeviceMemory(c10::Device device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(CudaIndex(device));
}
#else
int64_t PeakDeviceMemory(c10::Device) { return -1; }
void ResetPeakDeviceMemory(c10::Device) {}
#endif

}  // namespace deeper
