#include "model/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "common/error.h"
#include "common/files.h"
#include "model/tokenizer/added_tokens.h"
#include "model/tokenizer/bpe.h"
#include "model/tokenizer/byte_level.h"
#include "model/tokenizer/normalizer.h"
#include "model/tokenizer/pre_tokenizer.h"
#include "model/tokenizer/tokenizer_json.h"
#include "model/tokenizer/unicode.h"

namespace deeper {

using tokenizer::AddedToken;
using tokenizer::AddedTokenMatcher;
using tokenizer::Piece;
using tokenizer::Span;

struct Tokenizer::Impl {
  Impl(tokenizer::TokenizerSpec spec, const std::string& source)
      : bpe(spec.vocab, spec.merges, spec.ignore_merges, source),
        normalizer(spec.normalizer),
        splits(std::move(spec.splits)),
        add_prefix_space(spec.add_prefix_space),
        byte_level_index(spec.byte_level_index),
        prefix_ids(std::move(spec.prefix_ids)),
        suffix_ids(std::move(spec.suffix_ids)),
        chat_template(std::move(spec.chat_template)) {
    BuildAddedTokens(spec.added_tokens);
    BuildDecodeTable(spec);
    for (int32_t id : prefix_ids) CheckKnown(id, source, "post_processor");
    for (int32_t id : suffix_ids) CheckKnown(id, source, "post_processor");
    const std::string& config = spec.config_source.empty() ? source : spec.config_source;
    ResolveSpecial(spec.bos_token, config, "bos_token", &bos_token, &bos_id);
    ResolveSpecial(spec.eos_token, config, "eos_token", &eos_token, &eos_id);
    std::string pad_text;
    ResolveSpecial(spec.pad_token, config, "pad_token", &pad_text, &pad_id);
  }

  // Two passes as in HF: tokens with normalized=false are found in the raw text first, then the
  // others in the normalized remainder (even without a normalizer, the order of the passes
  // decides overlapping matches).
  void BuildAddedTokens(const std::vector<AddedToken>& added) {
    std::vector<AddedToken> raw, normalized;
    std::vector<std::string> raw_patterns, normalized_patterns;
    for (const AddedToken& t : added) {
      added_by_text[t.content] = t.id;
      if (t.normalized) {
        normalized.push_back(t);
        normalized_patterns.push_back(tokenizer::Normalize(normalizer, t.content));
      } else {
        raw.push_back(t);
        raw_patterns.push_back(t.content);
      }
    }
    raw_matcher = AddedTokenMatcher(raw, raw_patterns);
    normalized_matcher = AddedTokenMatcher(normalized, normalized_patterns);
  }

  // Every id's decoded bytes in one arena, and whether it is special.
  void BuildDecodeTable(const tokenizer::TokenizerSpec& spec) {
    int32_t size = 0;
    for (const auto& v : spec.vocab) size = std::max(size, v.id + 1);
    for (const auto& t : spec.added_tokens) size = std::max(size, t.id + 1);
    std::vector<const std::string*> text(size, nullptr);
    for (const auto& v : spec.vocab) text[v.id] = &v.text;
    special.assign(size, 0);
    for (const auto& t : spec.added_tokens) {
      text[t.id] = &t.content;  // added tokens take precedence, as in HF's id_to_token
      special[t.id] = t.special ? 1 : 0;
    }
    known.assign(size, 0);
    decode_offsets.assign(size + 1, 0);
    for (int32_t id = 0; id < size; ++id) {
      decode_offsets[id] = static_cast<uint32_t>(decode_arena.size());
      if (text[id] != nullptr) {
        known[id] = 1;
        decode_arena += tokenizer::DecodeByteLevelToken(*text[id]);
      }
    }
    decode_offsets[size] = static_cast<uint32_t>(decode_arena.size());
  }

  void CheckKnown(int32_t id, const std::string& source, const char* field) const {
    DEEPER_REQUIRE(id < static_cast<int32_t>(known.size()) && known[id], source, ": field \"", field,
                   "\" uses token id ", id, ", which is neither in model.vocab nor in added_tokens");
  }

  void ResolveSpecial(const std::optional<std::string>& text, const std::string& source, const char* field,
                      std::string* out_text, std::optional<int32_t>* out_id) const {
    if (!text) return;
    *out_text = *text;
    *out_id = FindTokenId(*text);
    DEEPER_REQUIRE(out_id->has_value(), source, ": field \"", field, "\" names \"", *text,
                   "\", which is not a token of tokenizer.json");
  }

  std::optional<int32_t> FindTokenId(std::string_view token) const {
    auto added = added_by_text.find(std::string(token));
    if (added != added_by_text.end()) return added->second;
    auto it = bpe.vocab().find(std::string(token));
    if (it != bpe.vocab().end()) return it->second;
    return std::nullopt;
  }

  // Pre-tokenizes and BPE-encodes a stretch of normalized text that holds no added token.
  void EncodePlain(std::string_view text, std::vector<int32_t>* out) const {
    if (!text.empty()) SplitLevel(text, 0, out);
  }

  // Applies splits[level] to `text` and recurses into each piece; the last level's pieces are
  // the pre-tokens that BPE sees. Span buffers are kept per thread and level (no allocation in
  // steady state).
  void SplitLevel(std::string_view text, size_t level, std::vector<int32_t>* out) const {
    std::string prefixed;
    if (level == byte_level_index && add_prefix_space && text[0] != ' ') {
      // ByteLevel's add_prefix_space: as in HF, every piece reaching ByteLevel (each pre-token of
      // a preceding Split) gets one space in front unless it already starts with one.
      prefixed.reserve(text.size() + 1);
      prefixed.push_back(' ');
      prefixed.append(text);
      text = prefixed;
    }
    if (level == splits.size()) {
      bpe.EncodeWord(text, out);
      return;
    }
    thread_local std::vector<std::vector<Span>> buffers;
    // Sized once per call at level 0: resizing deeper down would move the buffers that
    // shallower levels are iterating.
    if (level == 0 && buffers.size() < splits.size()) buffers.resize(splits.size());
    std::vector<Span>& spans = buffers[level];
    spans.clear();
    splits[level].Split(text, &spans);
    // Deeper levels use their own buffers, so `spans` stays valid during the recursion.
    for (size_t k = 0; k < spans.size(); ++k) {
      const Span s = spans[k];
      SplitLevel(text.substr(s.begin, s.end - s.begin), level + 1, out);
    }
  }

  tokenizer::BpeModel bpe;
  tokenizer::NormalizerKind normalizer;
  std::vector<tokenizer::SplitPattern> splits;
  bool add_prefix_space;
  size_t byte_level_index;
  std::vector<int32_t> prefix_ids;
  std::vector<int32_t> suffix_ids;
  AddedTokenMatcher raw_matcher;         // added tokens matched in the raw text
  AddedTokenMatcher normalized_matcher;  // ... and in the normalized text
  std::unordered_map<std::string, int32_t> added_by_text;

  std::string decode_arena;
  std::vector<uint32_t> decode_offsets;
  std::vector<uint8_t> known;
  std::vector<uint8_t> special;

  std::string bos_token, eos_token;
  std::optional<int32_t> bos_id, eos_id, pad_id;
  std::string chat_template;
};

Tokenizer Tokenizer::FromJson(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                              const std::string& source) {
  tokenizer::TokenizerSpec spec = tokenizer::ParseTokenizerJson(tokenizer_json, source);
  if (!tokenizer_config_json.empty()) tokenizer::ParseTokenizerConfig(tokenizer_config_json, source, &spec);
  return Tokenizer(std::make_shared<const Impl>(std::move(spec), source));
}

Tokenizer Tokenizer::FromDirectory(const std::string& dir) {
  const std::string json_path = dir + "/tokenizer.json";
  const std::string config_path = dir + "/tokenizer_config.json";
  const std::string jinja_path = dir + "/chat_template.jinja";
  DEEPER_REQUIRE(FileExists(json_path), json_path, ": not found (a tokenizer directory needs tokenizer.json)");
  tokenizer::TokenizerSpec spec = tokenizer::ParseTokenizerJson(ReadFile(json_path), json_path);
  if (FileExists(config_path)) tokenizer::ParseTokenizerConfig(ReadFile(config_path), config_path, &spec);
  // Newer transformers save the template beside the config; it then takes precedence.
  if (FileExists(jinja_path)) spec.chat_template = ReadFile(jinja_path);
  return Tokenizer(std::make_shared<const Impl>(std::move(spec), json_path));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  const Impl& m = *impl_;
  size_t bad = tokenizer::FindInvalidUtf8(text);
  DEEPER_REQUIRE(bad == std::string_view::npos, "tokenizer: text is not valid UTF-8 (byte ", bad, " of ",
                 text.size(), ")");
  DEEPER_REQUIRE(text.size() < (size_t{1} << 32), "tokenizer: text of ", text.size(), " bytes is too long");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + m.prefix_ids.size() + m.suffix_ids.size() + 4);
  if (add_special_tokens) ids.insert(ids.end(), m.prefix_ids.begin(), m.prefix_ids.end());

  thread_local std::vector<Piece> pieces;
  thread_local std::vector<Piece> inner;
  pieces.clear();
  m.raw_matcher.Split(text, 0, static_cast<uint32_t>(text.size()), &pieces);
  for (const Piece& p : pieces) {
    if (p.id >= 0) {
      ids.push_back(p.id);
      continue;
    }
    std::string_view raw = text.substr(p.begin, p.end - p.begin);
    // Normalization happens per piece between added tokens, as HF does.
    std::string normalized_storage;
    std::string_view normalized = raw;
    if (!tokenizer::IsTriviallyNormalized(m.normalizer, raw)) {
      normalized_storage = tokenizer::Normalize(m.normalizer, raw);
      normalized = normalized_storage;
    }
    if (m.normalized_matcher.empty()) {
      m.EncodePlain(normalized, &ids);
      continue;
    }
    inner.clear();
    m.normalized_matcher.Split(normalized, 0, static_cast<uint32_t>(normalized.size()), &inner);
    for (const Piece& q : inner) {
      if (q.id >= 0) {
        ids.push_back(q.id);
      } else {
        m.EncodePlain(normalized.substr(q.begin, q.end - q.begin), &ids);
      }
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), m.suffix_ids.begin(), m.suffix_ids.end());
  return ids;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  const Impl& m = *impl_;
  std::string bytes;
  bytes.reserve(ids.size() * 4);
  const auto size = static_cast<int32_t>(m.known.size());
  for (int32_t id : ids) {
    DEEPER_REQUIRE(id >= 0 && id < size && m.known[id], "tokenizer: cannot decode token id ", id,
                   ": not in the vocabulary (", size, " ids)");
    if (skip_special_tokens && m.special[id]) continue;
    bytes.append(m.decode_arena, m.decode_offsets[id], m.decode_offsets[id + 1] - m.decode_offsets[id]);
  }
  return tokenizer::Utf8Lossy(bytes);
}

std::optional<int32_t> Tokenizer::FindTokenId(std::string_view token) const { return impl_->FindTokenId(token); }

int32_t Tokenizer::TokenId(std::string_view token) const {
  std::optional<int32_t> id = impl_->FindTokenId(token);
  DEEPER_REQUIRE(id.has_value(), "tokenizer: \"", token, "\" is not a token of this vocabulary");
  return *id;
}

std::optional<int32_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return impl_->eos_id; }
std::optional<int32_t> Tokenizer::pad_id() const { return impl_->pad_id; }
const std::string& Tokenizer::bos_token() const { return impl_->bos_token; }
const std::string& Tokenizer::eos_token() const { return impl_->eos_token; }

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < static_cast<int32_t>(impl_->special.size()) && impl_->special[id];
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->known.size()); }

const std::string& Tokenizer::chat_template() const { return impl_->chat_template; }

}  // namespace deeper
