// config.json of HF causal LMs (llama, qwen2, qwen3): parsing with validation, writing in hub layout.
// Torch-free. Anything the transformer cannot compute exactly (other model types, yarn/dynamic rope,
// sliding windows, non-SiLU activations, ...) is refused with a message naming the file and the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

// Llama-3 style frequency scaling of RoPE ("rope_type": "llama3"). Disabled for plain RoPE.
struct RopeScaling {
  bool llama3 = false;
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string model_type = "llama";  // "llama", "qwen2" or "qwen3".
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;   // GQA; defaults to num_attention_heads.
  int64_t head_dim = 0;              // Explicit in qwen3 (not hidden/heads); else hidden/heads.
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // q/k/v projections have biases (qwen2 always; llama/qwen3 attention_bias).
  bool o_bias = false;    // o_proj has a bias (llama/qwen3 attention_bias; never qwen2).
  bool mlp_bias = false;  // gate/up/down biases (llama mlp_bias).
  bool qk_norm = false;   // qwen3: per-head RMSNorm q_norm/k_norm before RoPE.
  int64_t bos_token_id = -1;              // -1 when absent.
  std::vector<int64_t> eos_token_ids;     // config's eos_token_id (int or list).
  int64_t pad_token_id = -1;              // -1 when absent.
  std::string torch_dtype = "float32";    // "float32", "bfloat16" or "float16" (torch_dtype / dtype).
  // The original config.json text (empty when built in code): the writer keeps its other keys
  // (architectures, transformers_version, ...) so a saved model stays loadable by HF.
  std::string source_json;

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  int64_t q_size() const { return num_attention_heads * head_dim; }
  int64_t kv_size() const { return num_key_value_heads * head_dim; }
};

// Parses config.json text. `source` names the file in error messages.
ModelConfig ParseModelConfig(const std::string& json_text, const std::string& source);
// Reads `path`, or `path`/config.json when `path` is a directory.
ModelConfig LoadModelConfig(const std::string& path);

// Checks internal consistency (positive sizes, heads divisible by kv heads, even head_dim, ...);
// throws deeper::Error naming `source`. Parse* and Apply* call it.
void ValidateModelConfig(const ModelConfig& config, const std::string& source);

// config.json text as hub checkpoints write it (architectures, model_type, sizes, rope, dtype, ...).
std::string ModelConfigToJson(const ModelConfig& config);
// Writes ModelConfigToJson atomically to `path` (a file path, e.g. DIR/config.json).
void SaveModelConfig(const ModelConfig& config, const std::string& path);

// A small default config of a family ("llama", "qwen2", "qwen3") for random-init models; sizes are
// meant to be overridden with ApplyConfigOverrides.
ModelConfig ConfigLike(const std::string& family);
// Applies "key=value,key=value" overrides (config.json key names, e.g. hidden_size=2048,
// num_hidden_layers=16, tie_word_embeddings=true, rope_theta=500000, head_dim=64, torch_dtype=bfloat16,
// rope_scaling.factor=32 (also enables llama3 scaling)); unknown keys are an error.
void ApplyConfigOverrides(ModelConfig* config, const std::string& overrides);

}  // namespace deeper
