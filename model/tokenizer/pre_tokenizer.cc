#include "model/tokenizer/pre_tokenizer.h"

#include <cstdint>
#include <utility>

#include "common/error.h"
#include "model/tokenizer/unicode.h"

namespace deeper::tokenizer {
namespace {

using Alternative = SplitPattern::Alternative;

// The text of every alternative we can match, exactly as it appears in tokenizer.json patterns.
struct KnownAlternative {
  const char* regex;
  Alternative kind;
};
constexpr KnownAlternative kKnown[] = {
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d))", Alternative::kContractionsAnyCase},
    {R"([^\r\n\p{L}\p{N}]?\p{L}+)", Alternative::kWordWithPrefix},
    {R"( ?\p{L}+)", Alternative::kOptSpaceLetters},
    {R"( ?\p{N}+)", Alternative::kOptSpaceNumbers},
    {R"(\p{N}{1,3})", Alternative::kNumbersUpTo3},
    {R"(\p{N})", Alternative::kNumber},
    {R"( ?[^\s\p{L}\p{N}]+[\r\n]*)", Alternative::kPunctWithNewlines},
    {R"( ?[^\s\p{L}\p{N}]+)", Alternative::kOptSpacePunct},
    {R"(\s*[\r\n]+)", Alternative::kSpacesToNewline},
    {R"(\s+(?!\S))", Alternative::kSpacesNotBeforeText},
    {R"(\s+)", Alternative::kSpaces},
};

// GPT-2's case-sensitive contractions are plain literals.
constexpr const char* kLiterals[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

// Splits a regex at its top-level '|' (outside groups and classes, escapes respected).
std::vector<std::string> TopLevelAlternatives(std::string_view regex) {
  std::vector<std::string> parts(1);
  int depth = 0;
  bool in_class = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      parts.back() += c;
      parts.back() += regex[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      parts.emplace_back();
      continue;
    }
    parts.back() += c;
  }
  return parts;
}

std::u32string ToU32(std::string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) out.push_back(NextCodePoint(s, i));
  return out;
}

// The code points of the text being split, their classes and byte offsets (offsets has one extra
// entry, the text size). Reused per thread so splitting does not allocate in steady state.
struct Decoded {
  std::vector<char32_t> cps;
  std::vector<uint8_t> cls;
  std::vector<uint32_t> offsets;

  void Assign(std::string_view text) {
    // Sized for the worst case (all ASCII) and trimmed after, so the loop does no capacity checks.
    cps.resize(text.size());
    cls.resize(text.size());
    offsets.resize(text.size() + 1);
    size_t n = 0;
    size_t i = 0;
    while (i < text.size()) {
      offsets[n] = static_cast<uint32_t>(i);
      auto b = static_cast<unsigned char>(text[i]);
      if (b < 0x80) {
        cps[n] = b;
        cls[n] = kAsciiClasses[b];
        ++i;
      } else {
        char32_t cp = NextCodePoint(text, i);
        cps[n] = cp;
        cls[n] = ClassifyNonAscii(cp);
      }
      ++n;
    }
    offsets[n] = static_cast<uint32_t>(text.size());
    cps.resize(n);
    cls.resize(n);
    offsets.resize(n + 1);
  }
};

constexpr size_t kNoMatch = static_cast<size_t>(-1);

class Matcher {
 public:
  explicit Matcher(const Decoded& d) : c_(d.cps), f_(d.cls), n_(d.cps.size()) {}

  bool Letter(size_t i) const { return i < n_ && (f_[i] & kLetter); }
  bool Number(size_t i) const { return i < n_ && (f_[i] & kNumber); }
  bool Space(size_t i) const { return i < n_ && (f_[i] & kSpace); }
  bool Newline(size_t i) const { return i < n_ && (f_[i] & kNewline); }
  // [^\s\p{L}\p{N}]
  bool Other(size_t i) const { return i < n_ && !(f_[i] & (kSpace | kLetter | kNumber)); }

  size_t SkipLetters(size_t i) const {
    while (Letter(i)) ++i;
    return i;
  }
  size_t SkipSpaces(size_t i) const {
    while (Space(i)) ++i;
    return i;
  }

  // Case-insensitive match of a lowercase ASCII letter: Oniguruma folds case with Unicode rules,
  // under which U+017F LATIN SMALL LETTER LONG S also equals 's' (no other code point folds to
  // one of the letters these contractions use).
  bool LetterNoCase(size_t i, char lower) const {
    if (i >= n_) return false;
    char32_t cp = c_[i];
    if (cp == static_cast<char32_t>(lower) || cp == static_cast<char32_t>(lower - 'a' + 'A')) return true;
    return lower == 's' && cp == 0x017F;
  }

  size_t Match(Alternative kind, const std::u32string& literal, size_t i) const {
    switch (kind) {
      case Alternative::kContractionsAnyCase: {
        if (c_[i] != U'\'') return kNoMatch;
        static constexpr const char* kForms[] = {"s", "t", "re", "ve", "m", "ll", "d"};
        for (const char* form : kForms) {
          size_t j = i + 1;
          const char* p = form;
          while (*p && LetterNoCase(j, *p)) {
            ++j;
            ++p;
          }
          if (*p == '\0') return j;
        }
        return kNoMatch;
      }
      case Alternative::kLiteral: {
        if (i + literal.size() > n_) return kNoMatch;
        for (size_t k = 0; k < literal.size(); ++k) {
          if (c_[i + k] != literal[k]) return kNoMatch;
        }
        return i + literal.size();
      }
      case Alternative::kWordWithPrefix: {
        // The optional prefix is any character but \r, \n, a letter or a number; a letter at i is
        // never the prefix, so the two cases do not overlap.
        if (Letter(i)) return SkipLetters(i);
        if (!Newline(i) && !Number(i) && Letter(i + 1)) return SkipLetters(i + 1);
        return kNoMatch;
      }
      case Alternative::kOptSpaceLetters: {
        if (c_[i] == U' ' && Letter(i + 1)) return SkipLetters(i + 1);
        if (Letter(i)) return SkipLetters(i);
        return kNoMatch;
      }
      case Alternative::kOptSpaceNumbers: {
        size_t j = (c_[i] == U' ' && Number(i + 1)) ? i + 1 : i;
        if (!Number(j)) return kNoMatch;
        while (Number(j)) ++j;
        return j;
      }
      case Alternative::kNumbersUpTo3: {
        size_t j = i;
        while (j < i + 3 && Number(j)) ++j;
        return j == i ? kNoMatch : j;
      }
      case Alternative::kNumber:
        return Number(i) ? i + 1 : kNoMatch;
      case Alternative::kPunctWithNewlines:
      case Alternative::kOptSpacePunct: {
        // A space at i can only be the optional prefix (it is not [^\s...] itself).
        size_t j = (c_[i] == U' ' && Other(i + 1)) ? i + 1 : i;
        if (!Other(j)) return kNoMatch;
        while (Other(j)) ++j;
        if (kind == Alternative::kPunctWithNewlines) {
          while (Newline(j)) ++j;
        }
        return j;
      }
      case Alternative::kSpacesToNewline: {
        // \s* backtracks from the end of the whitespace run to its last \r or \n, which [\r\n]+
        // then takes; nothing after it in the run can be \r or \n.
        size_t end = SkipSpaces(i);
        for (size_t j = end; j > i; --j) {
          if (Newline(j - 1)) return j;
        }
        return kNoMatch;
      }
      case Alternative::kSpacesNotBeforeText: {
        // \s+ takes the whole run; (?!\S) holds at the end of text, otherwise it backtracks one
        // character so that the last whitespace stays with the following word.
        if (!Space(i)) return kNoMatch;
        size_t end = SkipSpaces(i);
        if (end == n_) return end;
        return end - 1 > i ? end - 1 : kNoMatch;
      }
      case Alternative::kSpaces:
        return Space(i) ? SkipSpaces(i) : kNoMatch;
    }
    return kNoMatch;
  }

 private:
  const std::vector<char32_t>& c_;
  const std::vector<uint8_t>& f_;
  size_t n_;
};

}  // namespace

SplitPattern SplitPattern::Parse(std::string_view regex, const std::string& where) {
  SplitPattern pattern;
  pattern.source_ = std::string(regex);
  for (const std::string& part : TopLevelAlternatives(regex)) {
    bool found = false;
    for (const KnownAlternative& known : kKnown) {
      if (part == known.regex) {
        pattern.alts_.push_back({known.kind, {}});
        found = true;
        break;
      }
    }
    for (const char* literal : kLiterals) {
      if (!found && part == literal) {
        pattern.alts_.push_back({Alternative::kLiteral, ToU32(literal)});
        found = true;
      }
    }
    if (!found) {
      Fail(where, ": unsupported Split pattern \"", regex, "\": its alternative \"", part,
           "\" is not part of the Llama-3, Qwen2/Qwen3 or GPT-2 pre-tokenizer regexes this "
           "tokenizer implements");
    }
  }
  return pattern;
}

SplitPattern SplitPattern::Gpt2() {
  return Parse(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
               "GPT-2 pattern");
}

void SplitPattern::Split(std::string_view text, std::vector<Span>* out) const {
  thread_local Decoded decoded;
  decoded.Assign(text);
  Matcher matcher(decoded);
  const auto& offsets = decoded.offsets;
  const size_t n = decoded.cps.size();
  size_t gap = 0;  // start of characters no alternative matched (a regex search skips them)
  size_t i = 0;
  while (i < n) {
    size_t end = kNoMatch;
    for (const Alt& alt : alts_) {
      end = matcher.Match(alt.kind, alt.literal, i);
      if (end != kNoMatch) break;
    }
    if (end == kNoMatch) {
      ++i;
      continue;
    }
    if (gap < i) out->push_back({offsets[gap], offsets[i]});
    out->push_back({offsets[i], offsets[end]});
    i = end;
    gap = i;
  }
  if (gap < n) out->push_back({offsets[gap], offsets[n]});
}

}  // namespace deeper::tokenizer
