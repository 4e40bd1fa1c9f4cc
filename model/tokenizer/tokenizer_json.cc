#include "model/tokenizer/tokenizer_json.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace deeper::tokenizer {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxTokenId = int64_t{1} << 24;

// Typed access to fields with messages of the form `<file>: field "a.b[3]" must be ...`.
class Fields {
 public:
  explicit Fields(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void Fail(const std::string& field, const std::string& what) const {
    ::deeper::Fail(path_, ": field \"", field, "\" ", what);
  }

  static std::string Join(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }
  static std::string Index(const std::string& parent, size_t i) { return parent + "[" + std::to_string(i) + "]"; }

  static const char* TypeName(const json& v) {
    switch (v.type()) {
      case json::value_t::null: return "null";
      case json::value_t::object: return "an object";
      case json::value_t::array: return "an array";
      case json::value_t::string: return "a string";
      case json::value_t::boolean: return "a boolean";
      case json::value_t::number_integer:
      case json::value_t::number_unsigned: return "an integer";
      case json::value_t::number_float: return "a number";
      default: return "an unexpected value";
    }
  }

  void Expect(bool ok, const json& v, const std::string& field, const char* expected) const {
    if (!ok) Fail(field, std::string("must be ") + expected + ", got " + TypeName(v));
  }

  // The member `key` of object `obj`, or nullptr when it is absent or null.
  const json* Optional(const json& obj, std::string_view key) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }
  const json& Required(const json& obj, const std::string& parent, std::string_view key) const {
    auto it = obj.find(key);
    if (it == obj.end()) Fail(Join(parent, key), "is missing");
    return *it;
  }
  const json& Object(const json& v, const std::string& field) const {
    Expect(v.is_object(), v, field, "an object");
    return v;
  }
  const json& Array(const json& v, const std::string& field) const {
    Expect(v.is_array(), v, field, "an array");
    return v;
  }
  const std::string& String(const json& v, const std::string& field) const {
    Expect(v.is_string(), v, field, "a string");
    return v.get_ref<const std::string&>();
  }
  bool Bool(const json& v, const std::string& field) const {
    Expect(v.is_boolean(), v, field, "a boolean");
    return v.get<bool>();
  }
  int32_t Id(const json& v, const std::string& field) const {
    Expect(v.is_number_integer(), v, field, "a non-negative integer token id");
    auto value = v.get<int64_t>();
    // Ids index dense tables; no real vocabulary comes near this bound.
    if (value < 0 || value >= kMaxTokenId) {
      Fail(field, "must be a token id in [0, " + std::to_string(kMaxTokenId) + "), got " + std::to_string(value));
    }
    return static_cast<int32_t>(value);
  }
  bool OptionalBool(const json& obj, const std::string& parent, std::string_view key, bool fallback) const {
    const json* v = Optional(obj, key);
    return v ? Bool(*v, Join(parent, key)) : fallback;
  }
  // The "type" of a component object.
  const std::string& Type(const json& obj, const std::string& field) const {
    Object(obj, field);
    return String(Required(obj, field, "type"), Join(field, "type"));
  }

  const std::string& path() const { return path_; }

  json Parse(std::string_view text) const {
    try {
      return json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      ::deeper::Fail(path_, ": not valid JSON (", e.what(), ")");
    }
  }

 private:
  std::string path_;
};

void ParseModel(const Fields& f, const json& root, TokenizerSpec* spec) {
  const json& model = f.Object(f.Required(root, "", "model"), "model");
  if (const json* type = f.Optional(model, "type")) {
    const std::string& t = f.String(*type, "model.type");
    if (t != "BPE") f.Fail("model.type", "is \"" + t + "\"; only byte-level \"BPE\" models are supported");
  }
  if (const json* dropout = f.Optional(model, "dropout")) {
    f.Expect(dropout->is_number(), *dropout, "model.dropout", "null or a number");
    if (dropout->get<double>() != 0.0) f.Fail("model.dropout", "is set; BPE dropout is not supported");
  }
  if (f.OptionalBool(model, "model", "byte_fallback", false)) {
    f.Fail("model.byte_fallback", "is true; only byte-level BPE (without byte fallback) is supported");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (const json* v = f.Optional(model, key)) {
      if (!f.String(*v, Fields::Join("model", key)).empty()) {
        f.Fail(Fields::Join("model", key), "is not empty; this is not supported for byte-level BPE");
      }
    }
  }
  spec->ignore_merges = f.OptionalBool(model, "model", "ignore_merges", false);

  const json& vocab = f.Object(f.Required(model, "model", "vocab"), "model.vocab");
  spec->vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    spec->vocab.push_back({it.key(), f.Id(it.value(), "model.vocab[\"" + it.key() + "\"]")});
  }

  const json& merges = f.Array(f.Required(model, "model", "merges"), "model.merges");
  spec->merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    const std::string field = Fields::Index("model.merges", i);
    // Older files write "left right", newer ones ["left", "right"]; the rank is the index either way.
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
          s.find(' ', space + 1) != std::string::npos) {
        f.Fail(field, "must be two tokens separated by one space, got \"" + s + "\"");
      }
      spec->merges.push_back({s.substr(0, space), s.substr(space + 1)});
    } else if (m.is_array()) {
      if (m.size() != 2) f.Fail(field, "must be a pair [left, right], got " + std::to_string(m.size()) + " elements");
      spec->merges.push_back({f.String(m[0], field + "[0]"), f.String(m[1], field + "[1]")});
    } else {
      f.Fail(field, std::string("must be a string \"left right\" or a pair [left, right], got ") + Fields::TypeName(m));
    }
  }
}

void ParseAddedTokens(const Fields& f, const json& root, TokenizerSpec* spec) {
  const json* added = f.Optional(root, "added_tokens");
  if (added == nullptr) return;
  f.Array(*added, "added_tokens");
  for (size_t i = 0; i < added->size(); ++i) {
    const std::string field = Fields::Index("added_tokens", i);
    const json& t = f.Object((*added)[i], field);
    AddedToken token;
    token.id = f.Id(f.Required(t, field, "id"), field + ".id");
    token.content = f.String(f.Required(t, field, "content"), field + ".content");
    token.special = f.OptionalBool(t, field, "special", false);
    token.single_word = f.OptionalBool(t, field, "single_word", false);
    token.lstrip = f.OptionalBool(t, field, "lstrip", false);
    token.rstrip = f.OptionalBool(t, field, "rstrip", false);
    token.normalized = f.OptionalBool(t, field, "normalized", true);
    spec->added_tokens.push_back(std::move(token));
  }
}

void ParseNormalizer(const Fields& f, const json& root, TokenizerSpec* spec) {
  const json* n = f.Optional(root, "normalizer");
  if (n == nullptr) return;
  const std::string& type = f.Type(*n, "normalizer");
  if (type == "NFC") {
    spec->normalizer = NormalizerKind::kNfc;
    return;
  }
  if (type == "Sequence") {
    const json& list = f.Array(f.Required(*n, "normalizer", "normalizers"), "normalizer.normalizers");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string field = Fields::Index("normalizer.normalizers", i);
      const std::string& t = f.Type(list[i], field);
      if (t != "NFC") f.Fail(field + ".type", "is \"" + t + "\"; only the NFC normalizer is supported");
      spec->normalizer = NormalizerKind::kNfc;
    }
    return;
  }
  f.Fail("normalizer.type", "is \"" + type + "\"; only NFC (or no normalizer) is supported");
}

void ParsePreTokenizer(const Fields& f, const json& root, TokenizerSpec* spec) {
  const json* pt = f.Optional(root, "pre_tokenizer");
  if (pt == nullptr) f.Fail("pre_tokenizer", "is missing; a byte-level BPE needs a ByteLevel pre-tokenizer");
  std::vector<std::pair<const json*, std::string>> steps;
  if (f.Type(*pt, "pre_tokenizer") == "Sequence") {
    const json& list = f.Array(f.Required(*pt, "pre_tokenizer", "pretokenizers"), "pre_tokenizer.pretokenizers");
    for (size_t i = 0; i < list.size(); ++i) steps.emplace_back(&list[i], Fields::Index("pre_tokenizer.pretokenizers", i));
  } else {
    steps.emplace_back(pt, "pre_tokenizer");
  }
  bool byte_level = false;
  for (const auto& [step, field] : steps) {
    const std::string& type = f.Type(*step, field);
    if (byte_level) f.Fail(field, "follows ByteLevel; ByteLevel must be the last pre-tokenizer");
    if (type == "Split") {
      const json& pattern = f.Object(f.Required(*step, field, "pattern"), field + ".pattern");
      const json* regex = f.Optional(pattern, "Regex");
      if (regex == nullptr) {
        f.Fail(field + ".pattern", "must hold a \"Regex\"; plain string patterns are not supported");
      }
      const std::string regex_field = field + ".pattern.Regex";
      spec->splits.push_back(SplitPattern::Parse(f.String(*regex, regex_field), f.path() + ": field \"" + regex_field + "\""));
      const json* behavior = f.Optional(*step, "behavior");
      if (behavior && f.String(*behavior, field + ".behavior") != "Isolated") {
        f.Fail(field + ".behavior", "is \"" + behavior->get<std::string>() + "\"; only \"Isolated\" is supported");
      }
      if (f.OptionalBool(*step, field, "invert", false)) f.Fail(field + ".invert", "is true; this is not supported");
    } else if (type == "ByteLevel") {
      byte_level = true;
      spec->add_prefix_space = f.OptionalBool(*step, field, "add_prefix_space", false);
      spec->byte_level_index = spec->splits.size();
      if (f.OptionalBool(*step, field, "use_regex", true)) spec->splits.push_back(SplitPattern::Gpt2());
    } else {
      f.Fail(field + ".type", "is \"" + type + "\"; only Split and ByteLevel pre-tokenizers are supported");
    }
  }
  if (!byte_level) f.Fail("pre_tokenizer", "has no ByteLevel step; only byte-level BPE tokenizers are supported");
}

// Collects the special tokens a post-processor adds around a single sequence.
void ParsePostProcessor(const Fields& f, const json& pp, const std::string& field, TokenizerSpec* spec) {
  const std::string& type = f.Type(pp, field);
  if (type == "ByteLevel") return;  // adjusts offsets only
  if (type == "Sequence") {
    const json& list = f.Array(f.Required(pp, field, "processors"), field + ".processors");
    for (size_t i = 0; i < list.size(); ++i) ParsePostProcessor(f, list[i], Fields::Index(field + ".processors", i), spec);
    return;
  }
  if (type != "TemplateProcessing") {
    f.Fail(field + ".type", "is \"" + type + "\"; only ByteLevel and TemplateProcessing post-processors are supported");
  }
  const json& special = f.Object(f.Required(pp, field, "special_tokens"), field + ".special_tokens");
  const json& single = f.Array(f.Required(pp, field, "single"), field + ".single");
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const std::string item_field = Fields::Index(field + ".single", i);
    const json& item = f.Object(single[i], item_field);
    if (const json* seq = f.Optional(item, "Sequence")) {
      f.Object(*seq, item_field + ".Sequence");
      if (seen_sequence) f.Fail(item_field, "is a second sequence in a single-sequence template");
      seen_sequence = true;
      continue;
    }
    const json* tok = f.Optional(item, "SpecialToken");
    if (tok == nullptr) f.Fail(item_field, "must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    const std::string& name = f.String(f.Required(*tok, item_field + ".SpecialToken", "id"), item_field + ".SpecialToken.id");
    auto entry = special.find(name);
    if (entry == special.end()) f.Fail(field + ".special_tokens", "has no entry \"" + name + "\"");
    const std::string ids_field = field + ".special_tokens[\"" + name + "\"].ids";
    const json& ids = f.Array(f.Required(f.Object(*entry, field + ".special_tokens[\"" + name + "\"]"),
                                         field + ".special_tokens[\"" + name + "\"]", "ids"),
                              ids_field);
    for (size_t k = 0; k < ids.size(); ++k) {
      int32_t id = f.Id(ids[k], Fields::Index(ids_field, k));
      (seen_sequence ? spec->suffix_ids : spec->prefix_ids).push_back(id);
    }
  }
  if (!seen_sequence) f.Fail(field + ".single", "has no {\"Sequence\": ...} item");
}

void ParseDecoder(const Fields& f, const json& root) {
  const json* d = f.Optional(root, "decoder");
  if (d == nullptr) f.Fail("decoder", "is missing; a byte-level BPE needs the ByteLevel decoder");
  const std::string& type = f.Type(*d, "decoder");
  if (type == "ByteLevel") return;
  if (type == "Sequence") {
    const json& list = f.Array(f.Required(*d, "decoder", "decoders"), "decoder.decoders");
    if (list.size() == 1 && f.Type(list[0], "decoder.decoders[0]") == "ByteLevel") return;
  }
  f.Fail("decoder", "must be the ByteLevel decoder, got \"" + type + "\"");
}

// bos_token and friends are a string, null, or an AddedToken object {"content": ...}.
std::optional<std::string> SpecialTokenText(const Fields& f, const json& root, const char* key) {
  const json* v = f.Optional(root, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_object()) return f.String(f.Required(*v, key, "content"), std::string(key) + ".content");
  f.Expect(v->is_string(), *v, key, "a string, null or an object with \"content\"");
  return v->get<std::string>();
}

}  // namespace

TokenizerSpec ParseTokenizerJson(std::string_view text, const std::string& path) {
  Fields f(path);
  json root = f.Parse(text);
  f.Object(root, "(top level)");
  TokenizerSpec spec;
  ParseModel(f, root, &spec);
  ParseAddedTokens(f, root, &spec);
  ParseNormalizer(f, root, &spec);
  ParsePreTokenizer(f, root, &spec);
  if (const json* pp = f.Optional(root, "post_processor")) ParsePostProcessor(f, *pp, "post_processor", &spec);
  ParseDecoder(f, root);
  return spec;
}

void ParseTokenizerConfig(std::string_view text, const std::string& path, TokenizerSpec* spec) {
  Fields f(path);
  json root = f.Parse(text);
  f.Object(root, "(top level)");
  spec->config_source = path;
  spec->bos_token = SpecialTokenText(f, root, "bos_token");
  spec->eos_token = SpecialTokenText(f, root, "eos_token");
  spec->pad_token = SpecialTokenText(f, root, "pad_token");
  if (const json* tmpl = f.Optional(root, "chat_template")) {
    if (tmpl->is_array()) {
      // Named templates: the one called "default" is what apply_chat_template uses.
      for (size_t i = 0; i < tmpl->size(); ++i) {
        const std::string field = Fields::Index("chat_template", i);
        const json& entry = f.Object((*tmpl)[i], field);
        if (f.String(f.Required(entry, field, "name"), field + ".name") == "default") {
          spec->chat_template = f.String(f.Required(entry, field, "template"), field + ".template");
        }
      }
    } else {
      spec->chat_template = f.String(*tmpl, "chat_template");
    }
  }
}

}  // namespace deeper::tokenizer
