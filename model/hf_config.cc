#include "model/hf_config.h"

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/key_values.h"
#include "common/files.h"

namespace deeper {
namespace {

using json = nlohmann::json;

const std::set<std::string> kModelTypes = {"llama", "qwen2", "qwen3"};

// ---- Typed field access with messages that name the file and key ---------------------------------

const json* Field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

int64_t IntField(const json& j, const char* key, const std::string& source, const int64_t* fallback) {
  const json* v = Field(j, key);
  if (v == nullptr) {
    DEEPER_REQUIRE(fallback != nullptr, source, ": missing required key '", key, "'");
    return *fallback;
  }
  DEEPER_REQUIRE(v->is_number_integer(), source, ": '", key, "' must be an integer, got ", v->dump());
  return v->get<int64_t>();
}

int64_t RequiredInt(const json& j, const char* key, const std::string& source) {
  return IntField(j, key, source, nullptr);
}

int64_t OptionalInt(const json& j, const char* key, const std::string& source, int64_t fallback) {
  return IntField(j, key, source, &fallback);
}

double OptionalDouble(const json& j, const char* key, const std::string& source, double fallback) {
  const json* v = Field(j, key);
  if (v == nullptr) return fallback;
  DEEPER_REQUIRE(v->is_number(), source, ": '", key, "' must be a number, got ", v->dump());
  return v->get<double>();
}

bool OptionalBool(const json& j, const char* key, const std::string& source, bool fallback) {
  const json* v = Field(j, key);
  if (v == nullptr) return fallback;
  DEEPER_REQUIRE(v->is_boolean(), source, ": '", key, "' must be true or false, got ", v->dump());
  return v->get<bool>();
}

std::string OptionalString(const json& j, const char* key, const std::string& source, const std::string& fallback) {
  const json* v = Field(j, key);
  if (v == nullptr) return fallback;
  DEEPER_REQUIRE(v->is_string(), source, ": '", key, "' must be a string, got ", v->dump());
  return v->get<std::string>();
}

// eos_token_id is an int or a list of ints (Llama-3.1 instruct lists three).
std::vector<int64_t> TokenIds(const json& j, const char* key, const std::string& source) {
  const json* v = Field(j, key);
  if (v == nullptr) return {};
  if (v->is_number_integer()) return {v->get<int64_t>()};
  DEEPER_REQUIRE(v->is_array(), source, ": '", key, "' must be an integer or a list of integers");
  std::vector<int64_t> ids;
  for (const auto& id : *v) {
    DEEPER_REQUIRE(id.is_number_integer(), source, ": '", key, "' must hold integers, got ", id.dump());
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

// ---- RoPE: legacy rope_theta + rope_scaling, or newer rope_parameters ------------------------------

void ParseRope(const json& j, const std::string& source, ModelConfig* c) {
  const json* params = Field(j, "rope_parameters");
  const char* where = params != nullptr ? "rope_parameters" : "rope_scaling";
  if (params == nullptr) params = Field(j, "rope_scaling");
  c->rope_theta = OptionalDouble(j, "rope_theta", source, 10000.0);
  if (params == nullptr) return;
  DEEPER_REQUIRE(params->is_object(), source, ": '", where, "' must be an object or null");
  // Newer writers keep rope_theta inside the rope parameters.
  if (Field(j, "rope_theta") == nullptr) c->rope_theta = OptionalDouble(*params, "rope_theta", source, 10000.0);
  std::string type = OptionalString(*params, "rope_type", source, "");
  if (type.empty()) type = OptionalString(*params, "type", source, "default");
  const double partial = OptionalDouble(*params, "partial_rotary_factor", source, 1.0);
  DEEPER_REQUIRE(partial == 1.0, source, ": ", where, ".partial_rotary_factor ", partial, " is not supported");
  if (type == "default") return;
  DEEPER_REQUIRE(type == "llama3", source, ": unsupported rope type '", type, "' in ", where,
                 " (supported: default, llama3)");
  RopeScaling& s = c->rope_scaling;
  s.llama3 = true;
  s.factor = OptionalDouble(*params, "factor", source, 8.0);
  s.low_freq_factor = OptionalDouble(*params, "low_freq_factor", source, 1.0);
  s.high_freq_factor = OptionalDouble(*params, "high_freq_factor", source, 4.0);
  s.original_max_position_embeddings = OptionalInt(*params, "original_max_position_embeddings", source, 8192);
}

// Refuses features whose math this engine does not implement.
void RefuseUnsupported(const json& j, const std::string& source) {
  const std::string act = OptionalString(j, "hidden_act", source, "silu");
  DEEPER_REQUIRE(act == "silu", source, ": unsupported hidden_act '", act, "' (supported: silu)");
  DEEPER_REQUIRE(!OptionalBool(j, "use_sliding_window", source, false), source,
                 ": sliding-window attention (use_sliding_window: true) is not supported");
  if (const json* types = Field(j, "layer_types")) {
    DEEPER_REQUIRE(types->is_array(), source, ": 'layer_types' must be a list");
    for (const auto& t : *types) {
      DEEPER_REQUIRE(t == "full_attention", source, ": layer type ", t.dump(),
                     " in 'layer_types' is not supported (only full_attention)");
    }
  }
  DEEPER_REQUIRE(Field(j, "quantization_config") == nullptr, source, ": quantized checkpoints are not supported");
}

std::string DtypeOf(const json& j, const std::string& source) {
  std::string dtype = OptionalString(j, "dtype", source, "");
  if (dtype.empty()) dtype = OptionalString(j, "torch_dtype", source, "float32");
  DEEPER_REQUIRE(dtype == "float32" || dtype == "bfloat16" || dtype == "float16", source, ": unsupported dtype '",
                 dtype, "' (supported: float32, bfloat16, float16)");
  return dtype;
}

json ParseJsonObject(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    Fail(source, ": not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(j.is_object(), source, ": expected a JSON object");
  return j;
}

}  // namespace

ModelConfig ParseModelConfig(const std::string& text, const std::string& source) {
  const json j = ParseJsonObject(text, source);
  ModelConfig c;
  c.source_json = text;
  c.model_type = OptionalString(j, "model_type", source, "");
  DEEPER_REQUIRE(!c.model_type.empty(), source, ": missing required key 'model_type'");
  DEEPER_REQUIRE(kModelTypes.count(c.model_type), source, ": unsupported model_type '", c.model_type,
                 "' (supported: llama, qwen2, qwen3)");
  RefuseUnsupported(j, source);
  c.vocab_size = RequiredInt(j, "vocab_size", source);
  c.hidden_size = RequiredInt(j, "hidden_size", source);
  c.intermediate_size = RequiredInt(j, "intermediate_size", source);
  c.num_hidden_layers = RequiredInt(j, "num_hidden_layers", source);
  c.num_attention_heads = RequiredInt(j, "num_attention_heads", source);
  c.num_key_value_heads = OptionalInt(j, "num_key_value_heads", source, c.num_attention_heads);
  DEEPER_REQUIRE(c.num_attention_heads > 0, source, ": 'num_attention_heads' must be positive");
  c.head_dim = OptionalInt(j, "head_dim", source, c.hidden_size / c.num_attention_heads);
  c.max_position_embeddings = OptionalInt(j, "max_position_embeddings", source, 2048);
  c.rms_norm_eps = OptionalDouble(j, "rms_norm_eps", source, 1e-6);
  ParseRope(j, source, &c);
  c.tie_word_embeddings = OptionalBool(j, "tie_word_embeddings", source, false);
  if (c.model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2 attention always has q/k/v biases and none on o_proj.
  } else {
    c.qkv_bias = c.o_bias = OptionalBool(j, "attention_bias", source, false);
  }
  if (c.model_type == "llama") c.mlp_bias = OptionalBool(j, "mlp_bias", source, false);
  c.qk_norm = c.model_type == "qwen3";
  c.bos_token_id = OptionalInt(j, "bos_token_id", source, -1);
  c.eos_token_ids = TokenIds(j, "eos_token_id", source);
  c.pad_token_id = OptionalInt(j, "pad_token_id", source, -1);
  c.torch_dtype = DtypeOf(j, source);
  ValidateModelConfig(c, source);
  return c;
}

ModelConfig LoadModelConfig(const std::string& path) {
  std::string file = path;
  if (std::filesystem::is_directory(path)) file = (std::filesystem::path(path) / "config.json").string();
  DEEPER_REQUIRE(FileExists(file), file, ": config.json not found");
  return ParseModelConfig(ReadFile(file), file);
}

void ValidateModelConfig(const ModelConfig& c, const std::string& source) {
  auto positive = [&](int64_t v, const char* key) {
    DEEPER_REQUIRE(v > 0, source, ": '", key, "' must be positive, got ", v);
  };
  positive(c.vocab_size, "vocab_size");
  positive(c.hidden_size, "hidden_size");
  positive(c.intermediate_size, "intermediate_size");
  positive(c.num_hidden_layers, "num_hidden_layers");
  positive(c.num_attention_heads, "num_attention_heads");
  positive(c.num_key_value_heads, "num_key_value_heads");
  positive(c.head_dim, "head_dim");
  DEEPER_REQUIRE(c.num_attention_heads % c.num_key_value_heads == 0, source, ": num_attention_heads ",
                 c.num_attention_heads, " is not a multiple of num_key_value_heads ", c.num_key_value_heads);
  DEEPER_REQUIRE(c.head_dim % 2 == 0, source, ": head_dim ", c.head_dim, " must be even for rotary embeddings");
  DEEPER_REQUIRE(c.rms_norm_eps > 0, source, ": 'rms_norm_eps' must be positive");
  DEEPER_REQUIRE(c.rope_theta > 0, source, ": 'rope_theta' must be positive");
  if (c.rope_scaling.llama3) {
    const RopeScaling& s = c.rope_scaling;
    DEEPER_REQUIRE(s.factor > 0 && s.low_freq_factor > 0 && s.high_freq_factor > s.low_freq_factor &&
                       s.original_max_position_embeddings > 0,
                   source, ": llama3 rope scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor and ",
                   "original_max_position_embeddings > 0");
  }
  DEEPER_REQUIRE(kModelTypes.count(c.model_type), source, ": unsupported model_type '", c.model_type, "'");
}

// ---- Writing ---------------------------------------------------------------------------------------

namespace {

const char* Architecture(const std::string& model_type) {
  if (model_type == "qwen2") return "Qwen2ForCausalLM";
  if (model_type == "qwen3") return "Qwen3ForCausalLM";
  return "LlamaForCausalLM";
}

json RopeJson(const ModelConfig& c, bool with_theta) {
  json rope = {{"rope_type", c.rope_scaling.llama3 ? "llama3" : "default"}};
  if (with_theta) rope["rope_theta"] = c.rope_theta;
  if (c.rope_scaling.llama3) {
    rope["factor"] = c.rope_scaling.factor;
    rope["low_freq_factor"] = c.rope_scaling.low_freq_factor;
    rope["high_freq_factor"] = c.rope_scaling.high_freq_factor;
    rope["original_max_position_embeddings"] = c.rope_scaling.original_max_position_embeddings;
  }
  return rope;
}

void WriteRope(const ModelConfig& c, json* j) {
  if (j->contains("rope_parameters")) {  // Keep the newer layout when the source used it.
    (*j)["rope_parameters"] = RopeJson(c, true);
    j->erase("rope_scaling");
    j->erase("rope_theta");
    return;
  }
  (*j)["rope_theta"] = c.rope_theta;
  (*j)["rope_scaling"] = c.rope_scaling.llama3 ? RopeJson(c, false) : json(nullptr);
}

json TokenIdJson(const std::vector<int64_t>& ids) {
  if (ids.empty()) return nullptr;
  if (ids.size() == 1) return ids[0];
  return ids;
}

}  // namespace

std::string ModelConfigToJson(const ModelConfig& c) {
  json j = c.source_json.empty() ? json::object() : ParseJsonObject(c.source_json, "config.json");
  j["architectures"] = {Architecture(c.model_type)};
  j["model_type"] = c.model_type;
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_attention_heads"] = c.num_attention_heads;
  j["num_key_value_heads"] = c.num_key_value_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  WriteRope(c, &j);
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["hidden_act"] = "silu";
  if (c.model_type == "qwen2") {
    j["use_sliding_window"] = false;
  } else {
    j["attention_bias"] = c.qkv_bias;
  }
  if (c.model_type == "qwen3") j["use_sliding_window"] = false;
  if (c.model_type == "llama") j["mlp_bias"] = c.mlp_bias;
  j["bos_token_id"] = c.bos_token_id >= 0 ? json(c.bos_token_id) : json(nullptr);
  j["eos_token_id"] = TokenIdJson(c.eos_token_ids);
  if (c.pad_token_id >= 0) j["pad_token_id"] = c.pad_token_id;
  j["torch_dtype"] = c.torch_dtype;
  if (j.contains("dtype")) j["dtype"] = c.torch_dtype;
  return j.dump(2) + "\n";
}

void SaveModelConfig(const ModelConfig& config, const std::string& path) {
  ValidateModelConfig(config, path);
  DEEPER_REQUIRE(config.model_type == "qwen2" || config.qkv_bias == config.o_bias, path,
                 ": llama/qwen3 attention_bias applies to q, k, v and o alike");
  WriteFileAtomic(path, ModelConfigToJson(config));
}

// ---- Random-init configs ------------------------------------------------------------------------------

ModelConfig ConfigLike(const std::string& family) {
  DEEPER_REQUIRE(kModelTypes.count(family), "--like: unknown architecture '", family,
                 "' (supported: llama, qwen2, qwen3)");
  ModelConfig c;
  c.model_type = family;
  c.vocab_size = 1024;
  c.hidden_size = 256;
  c.intermediate_size = 512;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 4;
  c.head_dim = 32;
  c.max_position_embeddings = 4096;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  if (family == "llama") {  // Llama-3.2 style.
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 500000.0;
    c.rope_scaling = {true, 32.0, 1.0, 4.0, 8192};
  } else {  // Qwen2.5 / Qwen3 style.
    c.rms_norm_eps = 1e-6;
    c.rope_theta = 1000000.0;
    c.tie_word_embeddings = true;
    c.qkv_bias = family == "qwen2";
    c.qk_norm = family == "qwen3";
  }
  return c;
}

namespace {

int64_t ToInt(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  Fail("--set ", key, "=", value, ": expected an integer");
}

double ToDouble(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const double v = std::stod(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  Fail("--set ", key, "=", value, ": expected a number");
}

bool ToBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  Fail("--set ", key, "=", value, ": expected true or false");
}

// Applies one key; returns false for an unknown key.
bool ApplyOne(ModelConfig* c, const std::string& key, const std::string& value) {
  std::map<std::string, int64_t*> ints = {
      {"vocab_size", &c->vocab_size},
      {"hidden_size", &c->hidden_size},
      {"intermediate_size", &c->intermediate_size},
      {"num_hidden_layers", &c->num_hidden_layers},
      {"num_attention_heads", &c->num_attention_heads},
      {"num_key_value_heads", &c->num_key_value_heads},
      {"head_dim", &c->head_dim},
      {"max_position_embeddings", &c->max_position_embeddings},
      {"bos_token_id", &c->bos_token_id},
      {"pad_token_id", &c->pad_token_id},
      {"rope_scaling.original_max_position_embeddings", &c->rope_scaling.original_max_position_embeddings}};
  std::map<std::string, double*> doubles = {{"rms_norm_eps", &c->rms_norm_eps},
                                            {"rope_theta", &c->rope_theta},
                                            {"rope_scaling.factor", &c->rope_scaling.factor},
                                            {"rope_scaling.low_freq_factor", &c->rope_scaling.low_freq_factor},
                                            {"rope_scaling.high_freq_factor", &c->rope_scaling.high_freq_factor}};
  if (auto it = ints.find(key); it != ints.end()) {
    *it->second = ToInt(key, value);
  } else if (auto dt = doubles.find(key); dt != doubles.end()) {
    *dt->second = ToDouble(key, value);
  } else if (key == "tie_word_embeddings") {
    c->tie_word_embeddings = ToBool(key, value);
  } else if (key == "attention_bias") {
    c->qkv_bias = ToBool(key, value);
    c->o_bias = c->model_type == "qwen2" ? false : c->qkv_bias;
  } else if (key == "mlp_bias") {
    c->mlp_bias = ToBool(key, value);
  } else if (key == "eos_token_id") {
    c->eos_token_ids = {ToInt(key, value)};
  } else if (key == "torch_dtype" || key == "dtype") {
    DEEPER_REQUIRE(value == "float32" || value == "bfloat16" || value == "float16", "--set ", key, "=", value,
                   ": expected float32, bfloat16 or float16");
    c->torch_dtype = value;
  } else if (key == "rope_scaling") {
    DEEPER_REQUIRE(value == "llama3" || value == "none", "--set rope_scaling=", value, ": expected llama3 or none");
    c->rope_scaling.llama3 = value == "llama3";
  } else {
    return false;
  }
  if (key.rfind("rope_scaling.", 0) == 0) c->rope_scaling.llama3 = true;
  return true;
}

}  // namespace

void ApplyConfigOverrides(ModelConfig* config, const std::string& overrides) {
  bool head_dim_set = false;
  for (const auto& [key, value] : ParseKeyValueList(overrides, "--set")) {
    DEEPER_REQUIRE(ApplyOne(config, key, value), "--set: unknown config key '", key, "'");
    head_dim_set |= key == "head_dim";
  }
  // Llama and Qwen2 derive head_dim from the hidden size; Qwen3 keeps an explicit one.
  if (!head_dim_set && config->model_type != "qwen3" && config->num_attention_heads > 0) {
    config->head_dim = config->hidden_size / config->num_attention_heads;
  }
  if (!head_dim_set && config->model_type == "qwen3" && config->head_dim <= 0) config->head_dim = 128;
  ValidateModelConfig(*config, "--set");
}

}  // namespace deeper
