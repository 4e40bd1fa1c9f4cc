// The normalizers a byte-level BPE tokenizer.json may declare: none, or Unicode NFC (Qwen2/3).
#pragma once

#include <string>
#include <string_view>

namespace deeper::tokenizer {

enum class NormalizerKind { kNone, kNfc };

// Applies the normalizer to valid UTF-8. NFC uses libutf8proc; pure ASCII is returned unchanged
// without calling it (NFC cannot alter ASCII).
std::string Normalize(NormalizerKind kind, std::string_view text);

// True when Normalize would certainly return `text` unchanged (a cheap check that avoids a copy).
bool IsTriviallyNormalized(NormalizerKind kind, std::string_view text);

}  // namespace deeper::tokenizer
