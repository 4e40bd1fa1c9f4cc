#include "model/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "common/error.h"

namespace deeper::tokenizer {
namespace {

// A conservative NFC quick check: true only when no character can change or combine, i.e. every
// character has canonical combining class 0, no canonical decomposition, and cannot be the second
// half of a composition (Hangul jamo compose algorithmically and are excluded as a block). Such
// text is already NFC. Anything else goes through libutf8proc.
bool SurelyNfc(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Two-byte sequences with lead C2..CB are U+0080..U+02FF: below the combining marks, and
    // none of them is a second half of a composition.
    if (b <= 0xCB) {
      i += 2;
      continue;
    }
    char32_t cp = 0;
    size_t len = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    cp = b & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x1100 && cp <= 0x11FF) return false;
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    if (p->combining_class != 0) return false;
    if (p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0) return false;  // canonical decomposition
    if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return false;   // composes with a predecessor
  }
  return true;
}

}  // namespace

bool IsTriviallyNormalized(NormalizerKind kind, std::string_view text) {
  if (kind == NormalizerKind::kNone) return true;
  return SurelyNfc(text);
}

std::string Normalize(NormalizerKind kind, std::string_view text) {
  if (IsTriviallyNormalized(kind, text)) return std::string(text);
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &out,
                                    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  DEEPER_REQUIRE(n >= 0, "NFC normalization failed: ", utf8proc_errmsg(n));
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace deeper::tokenizer
