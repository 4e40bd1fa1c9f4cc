#include "stages/warm_start/builtin_checkpoint.h"

// The assembler copies each file into read-only data at build time (.incbin): no generated source, and
// a changed file rebuilds this unit (OBJECT_DEPENDS in CMakeLists.txt). DEEPER_QUICKSTART_REFINER_DIR
// is the checkpoint's directory, set by CMake.
#define DEEPER_EMBED_FILE(symbol, file)                                                          \
  __asm__(".section .rodata\n.balign 16\n" #symbol "_begin:\n.incbin \"" file "\"\n" #symbol \
          "_end:\n.byte 0\n.previous\n");                                                         \
  extern "C" const char symbol##_begin[];                                                         \
  extern "C" const char symbol##_end[];

DEEPER_EMBED_FILE(deeper_quickstart_refiner_config, DEEPER_QUICKSTART_REFINER_DIR "/config.json")
DEEPER_EMBED_FILE(deeper_quickstart_refiner_model, DEEPER_QUICKSTART_REFINER_DIR "/model.safetensors")
DEEPER_EMBED_FILE(deeper_quickstart_refiner_tokenizer, DEEPER_QUICKSTART_REFINER_DIR "/tokenizer.json")

namespace deeper {
namespace {

std::string_view Bytes(const char* begin, const char* end) {
  return std::string_view(begin, static_cast<size_t>(end - begin));
}

}  // namespace

const BuiltinCheckpointFiles& BuiltinQuickstartRefiner() {
  static const BuiltinCheckpointFiles files{
      Bytes(deeper_quickstart_refiner_config_begin, deeper_quickstart_refiner_config_end),
      Bytes(deeper_quickstart_refiner_model_begin, deeper_quickstart_refiner_model_end),
      Bytes(deeper_quickstart_refiner_tokenizer_begin, deeper_quickstart_refiner_tokenizer_end)};
  return files;
}

}  // namespace deeper
