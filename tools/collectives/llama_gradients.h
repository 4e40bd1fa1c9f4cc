// Parameter shapes of a Llama-style decoder, for benchmarking gradient communication with the tensor
// sizes and counts a real fine-tune has (full fine-tuning, or LoRA on every linear layer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

struct LlamaShape {
  int64_t hidden = 512;
  int64_t intermediate = 1408;
  int64_t layers = 8;
  int64_t heads = 8;
  int64_t kv_heads = 4;
  int64_t vocab = 32000;
  bool tied_embeddings = true;  // like Llama-3.2-1B
};

struct NamedShape {
  std::string name;
  std::vector<int64_t> shape;
};

// Every trainable tensor of full fine-tuning, in model order (embeddings first).
std::vector<NamedShape> FullFineTuneShapes(const LlamaShape& model);

// LoRA A [r, in] and B [out, r] for q, k, v, o, gate, up and down of every layer.
std::vector<NamedShape> LoraShapes(const LlamaShape& model, int64_t rank);

int64_t NumElements(const std::vector<NamedShape>& shapes);

}  // namespace deeper
