#include "model/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

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

}  // namespace deeper
