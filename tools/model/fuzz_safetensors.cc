// libFuzzer target for the safetensors header parser: any input must either parse into a layout whose
// every tensor lies inside the input, or be refused with deeper::Error. Anything else (a crash, a
// sanitizer report, another exception type) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const deeper::StHeader header = deeper::ParseSafetensorsHeader(data, size, "fuzz");
    uint64_t checksum = 0;
    for (const auto& info : header.tensors) {
      // Touch the first and last byte of every tensor: ASan reports any range outside the input.
      if (info.nbytes() > 0) {
        checksum += data[header.data_start + info.begin];
        checksum += data[header.data_start + info.end - 1];
      }
      if (info.nbytes() != info.numel() * deeper::StDtypeSize(info.dtype)) std::abort();
    }
    if (header.data_start > size) std::abort();
    (void)checksum;
  } catch (const deeper::Error&) {
    // Refused with a message: the expected outcome for malformed input.
  }
  return 0;
}
