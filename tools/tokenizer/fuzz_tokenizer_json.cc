// libFuzzer target: the tokenizer.json parser, and Encode/Decode of arbitrary bytes.
//
// Each input is used three ways:
//  1. as a tokenizer.json: loading must either succeed or throw deeper::Error; a tokenizer that
//     loads is exercised on a few texts and on the input itself;
//  2. as text for the real tokenizers named by DEEPER_FUZZ_TOKENIZERS (comma-separated
//     directories; tools/tokenizer/fuzz.sh sets it): invalid UTF-8 must be a deeper::Error, and
//     valid text must round-trip (Llama-3: decode(encode(x)) == x; with a normalizer (Qwen):
//     encode(decode(encode(x))) == encode(x));
//  3. as token ids for those tokenizers: Decode must give valid UTF-8 or throw deeper::Error.
// Anything else (a crash, a sanitizer report, another exception type, a broken property) is a bug.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "model/tokenizer/tokenizer.h"
#include "model/tokenizer/unicode.h"

namespace {

struct RealTokenizer {
  deeper::Tokenizer tokenizer;
  bool lossless;  // no normalizer: decode(encode(x)) == x
};

std::vector<RealTokenizer>* g_real = nullptr;

[[noreturn]] void Bug(const std::string& what) {
  std::cerr << "fuzz_tokenizer_json: " << what << "\n";
  std::abort();
}

bool IsValidUtf8(std::string_view s) { return deeper::tokenizer::FindInvalidUtf8(s) == std::string_view::npos; }

void Exercise(const deeper::Tokenizer& tok, std::string_view text) {
  try {
    std::vector<int32_t> ids = tok.Encode(text, true);
    std::string decoded = tok.Decode(ids, false);
    if (!IsValidUtf8(decoded)) Bug("Decode returned invalid UTF-8");
    tok.Decode(ids, true);
  } catch (const deeper::Error&) {
  }
}

void FuzzAsTokenizerJson(std::string_view input) {
  if (input.empty() || input[0] != '{') return;  // not JSON text; the parser is still covered by seeds
  try {
    deeper::Tokenizer tok = deeper::Tokenizer::FromJson(input, "", "fuzz tokenizer.json");
    for (std::string_view text : {"Hello world", "  it's 12345 \r\n\n  ok", "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87"}) {
      Exercise(tok, text);
    }
    Exercise(tok, input.substr(0, 512));
  } catch (const deeper::Error&) {
  }
}

void FuzzAsText(const RealTokenizer& real, std::string_view text) {
  std::vector<int32_t> ids;
  try {
    ids = real.tokenizer.Encode(text, false);
  } catch (const deeper::Error&) {
    if (IsValidUtf8(text)) Bug("Encode rejected valid UTF-8");
    return;
  }
  std::string decoded = real.tokenizer.Decode(ids, false);
  if (real.lossless) {
    if (decoded != text) Bug("decode(encode(x)) != x for a tokenizer without normalizer");
  } else if (real.tokenizer.Encode(decoded, false) != ids) {
    Bug("encode(decode(encode(x))) != encode(x)");
  }
}

void FuzzAsIds(const RealTokenizer& real, std::string_view input) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i + 3 < input.size() && ids.size() < 256; i += 3) {
    uint32_t v = static_cast<unsigned char>(input[i]) | static_cast<unsigned char>(input[i + 1]) << 8 |
                 static_cast<unsigned char>(input[i + 2]) << 16;
    // Mostly valid ids, a few just past the end.
    ids.push_back(static_cast<int32_t>(v % (static_cast<uint32_t>(real.tokenizer.vocab_size()) + 4)));
  }
  try {
    std::string text = real.tokenizer.Decode(ids, (input.size() & 1) != 0);
    if (!IsValidUtf8(text)) Bug("Decode returned invalid UTF-8");
  } catch (const deeper::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_real = new std::vector<RealTokenizer>();
  const char* dirs = std::getenv("DEEPER_FUZZ_TOKENIZERS");
  if (dirs == nullptr) return 0;
  std::stringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ',');) {
    if (dir.empty()) continue;
    deeper::Tokenizer tok = deeper::Tokenizer::FromDirectory(dir);
    // Lossless unless the tokenizer normalizes: NFC maps e.g. U+2000 to U+2002.
    bool lossless = tok.Decode(tok.Encode("\xE2\x80\x80", false), false) == "\xE2\x80\x80";
    g_real->push_back({tok, lossless});
    std::cerr << "fuzz_tokenizer_json: loaded " << dir << (lossless ? " (lossless)" : " (normalizing)") << "\n";
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzAsTokenizerJson(input);
  for (const RealTokenizer& real : *g_real) {
    FuzzAsText(real, input.substr(0, 4096));
    FuzzAsIds(real, input.substr(0, 1024));
  }
  return 0;
}
