#include "tools/collectives/llama_gradients.h"

#include <cstdint>

namespace deeper {
namespace {

struct Linear {
  const char* name;
  int64_t in;
  int64_t out;
};

std::vector<Linear> LayerLinears(const LlamaShape& m) {
  const int64_t kv = m.hidden / m.heads * m.kv_heads;
  return {{"self_attn.q_proj", m.hidden, m.hidden},     {"self_attn.k_proj", m.hidden, kv},
          {"self_attn.v_proj", m.hidden, kv},           {"self_attn.o_proj", m.hidden, m.hidden},
          {"mlp.gate_proj", m.hidden, m.intermediate}, {"mlp.up_proj", m.hidden, m.intermediate},
          {"mlp.down_proj", m.intermediate, m.hidden}};
}

std::string LayerPrefix(int64_t layer) { return "model.layers." + std::to_string(layer) + "."; }

}  // namespace

std::vector<NamedShape> FullFineTuneShapes(const LlamaShape& m) {
  std::vector<NamedShape> shapes = {{"model.embed_tokens.weight", {m.vocab, m.hidden}}};
  for (int64_t layer = 0; layer < m.layers; ++layer) {
    const std::string prefix = LayerPrefix(layer);
    shapes.push_back({prefix + "input_layernorm.weight", {m.hidden}});
    for (const Linear& l : LayerLinears(m)) shapes.push_back({prefix + l.name + ".weight", {l.out, l.in}});
    shapes.push_back({prefix + "post_attention_layernorm.weight", {m.hidden}});
  }
  shapes.push_back({"model.norm.weight", {m.hidden}});
  if (!m.tied_embeddings) shapes.push_back({"lm_head.weight", {m.vocab, m.hidden}});
  return shapes;
}

std::vector<NamedShape> LoraShapes(const LlamaShape& m, int64_t rank) {
  std::vector<NamedShape> shapes;
  for (int64_t layer = 0; layer < m.layers; ++layer) {
    for (const Linear& l : LayerLinears(m)) {
      const std::string name = LayerPrefix(layer) + l.name;
      shapes.push_back({name + ".lora_A.weight", {rank, l.in}});
      shapes.push_back({name + ".lora_B.weight", {l.out, rank}});
    }
  }
  return shapes;
}

int64_t NumElements(const std::vector<NamedShape>& shapes) {
  int64_t total = 0;
  for (const NamedShape& s : shapes) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    total += n;
  }
  return total;
}

}  // namespace deeper
