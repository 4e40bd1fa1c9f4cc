// Small runtime helpers around libtorch: threads, dtype names, devices.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>

namespace deeper {

// Sets libtorch's intra-op thread count (at::set_num_threads); n <= 0 means all hardware threads.
// libtorch starts with 1 thread on the CPU machine, so programs call this once at startup.
// Returns the count in effect.
int SetTorchThreads(int n);

// "f32"/"float32", "f16"/"float16", "bf16"/"bfloat16" -> ScalarType; throws deeper::Error otherwise.
c10::ScalarType ParseDtype(const std::string& name);
// HF's torch_dtype spelling: "float32", "float16", "bfloat16".
std::string HfDtypeName(c10::ScalarType dtype);

// "cpu", "cuda", "cuda:1"; "auto" = cuda:0 when CUDA is available, else cpu.
c10::Device ParseDevice(const std::string& name);

// The default weight dtype for a device: float32 on CPU, bfloat16 on CUDA.
c10::ScalarType DefaultDtypeFor(c10::Device device);

// The most bytes libtorch's CUDA caching allocator held in tensors on `device` since the last reset
// (what torch.cuda.max_memory_allocated reports: no CUDA context, no cached free blocks); -1 on the CPU
// or in a build against a libtorch without CUDA.
int64_t PeakDeviceMemory(c10::Device device);
void ResetPeakDeviceMemory(c10::Device device);

}  // namespace deeper
