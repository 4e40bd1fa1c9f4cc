// Activation checkpointing changes memory, not math: the same loss and gradients with and without it,
// for full fine-tuning and for LoRA with dropout (whose draws the recomputation must repeat). Both
// passes run with ATen ops only, as training does (cpu::KernelsOffScope).
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "model/cpu_kernels.h"
#include "model/hf_config.h"
#include "model/lora.h"
#include "model/transformer.h"

namespace deeper {
namespace {

std::unique_ptr<Transformer> TinyQwen3() {
  ModelConfig config = ConfigLike("qwen3");  // q/k norms: every kind of layer tensor
  ApplyConfigOverrides(&config, "vocab_size=96,hidden_size=32,intermediate_size=48,num_hidden_layers=3,"
                                "num_attention_heads=4,num_key_value_heads=2,head_dim=8");
  return Transformer::RandomInit(config, 11);
}

struct Pass {
  double loss = 0;
  std::map<std::string, at::Tensor> grads;
};

// A weighted sum of the logits (left-padded second row), backward, and the trained tensors' grads.
Pass Backward(Transformer& model, ParamSet set, bool checkpoint, uint64_t dropout_seed) {
  const at::Tensor ids = at::arange(0, 20, at::kLong).remainder(96).view({2, 10});
  at::Tensor mask = at::ones({2, 10}, at::kLong);
  mask[1].narrow(0, 0, 3).zero_();
  cpu::KernelsOffScope aten_only;
  model.SetActivationCheckpointing(checkpoint);
  for (auto& [name, p] : model.NamedParameters(set)) p.mutable_grad() = at::Tensor();
  at::manual_seed(dropout_seed);
  const at::Tensor logits = model.Forward(ids, mask);
  const at::Tensor weights = at::arange(logits.numel(), at::kFloat).view(logits.sizes()).mul(0.37).sin();
  const at::Tensor loss = (logits * weights * mask.unsqueeze(-1)).sum();
  loss.backward();
  Pass pass;
  pass.loss = loss.item<double>();
  for (const auto& [name, p] : model.NamedParameters(set)) {
    EXPECT_TRUE(p.grad().defined()) << name << (checkpoint ? " (checkpointed)" : "");
    if (p.grad().defined()) pass.grads[name] = p.grad().clone();
  }
  return pass;
}

void ExpectSameGradients(const Pass& plain, const Pass& checkpointed) {
  EXPECT_EQ(checkpointed.loss, plain.loss) << "the forward must not change";
  ASSERT_EQ(checkpointed.grads.size(), plain.grads.size());
  for (const auto& [name, g] : plain.grads) {
    const at::Tensor& c = checkpointed.grads.at(name);
    EXPECT_TRUE(at::allclose(c, g, 1e-5, 1e-6)) << name << ": max |diff| " << (c - g).abs().max().item<double>();
  }
}

TEST(ActivationCheckpoint, FullFineTuningGradientsAreUnchanged) {
  auto model = TinyQwen3();
  model->SetRequiresGrad(true);
  model->SetTraining(true);
  ExpectSameGradients(Backward(*model, ParamSet::kBase, false, 1), Backward(*model, ParamSet::kBase, true, 1));
}

TEST(ActivationCheckpoint, LoraDropoutIsRedrawnIdenticallyInTheRecomputation) {
  auto model = TinyQwen3();
  model->SetRequiresGrad(false);
  LoraConfig lora;
  lora.r = 4;
  lora.dropout = 0.5;
  lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  AttachLora(*model, lora, /*seed=*/3);
  for (auto& [name, p] : model->NamedParameters(ParamSet::kLora)) {
    p.requires_grad_(true);
    c10::NoGradGuard no_grad;
    p.normal_(0, 0.05, at::Generator());  // nonzero B too: every adapter gets a gradient
  }
  model->SetTraining(true);
  const Pass plain = Backward(*model, ParamSet::kLora, false, 5);
  ExpectSameGradients(plain, Backward(*model, ParamSet::kLora, true, 5));
  // Other draws give other gradients, so the comparison above does see the dropout masks.
  const Pass other = Backward(*model, ParamSet::kLora, true, 6);
  double largest = 0;
  for (const auto& [name, g] : plain.grads) largest = std::max(largest, (other.grads.at(name) - g).abs().max().item<double>());
  EXPECT_GT(largest, 1e-3);
}

TEST(ActivationCheckpoint, InferenceIgnoresIt) {
  auto model = TinyQwen3();
  model->SetActivationCheckpointing(true);
  c10::NoGradGuard no_grad;
  const at::Tensor ids = at::arange(0, 8, at::kLong).view({1, 8});
  const at::Tensor with = model->Forward(ids);
  model->SetActivationCheckpointing(false);
  EXPECT_TRUE(model->Forward(ids).equal(with));
}

}  // namespace
}  // namespace deeper
