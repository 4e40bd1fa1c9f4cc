// Activation checkpointing of one decoder layer as a custom autograd function: the forward runs without
// recording and keeps the layer's input; the backward reruns the layer with recording on and
// differentiates that rerun. The dropout draws of the rerun equal the first run's because the default
// generator's state is saved before the forward and restored around the rerun.
#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <functional>
#include <vector>

#include "model/cpu_kernels.h"
#include "model/transformer.h"

namespace deeper {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layer's tensors that autograd must send gradients to.
std::vector<at::Tensor> TrainableTensors(const DecoderLayer& layer) {
  std::vector<at::Tensor> out;
  auto add = [&](const at::Tensor& t) {
    if (t.defined() && t.requires_grad()) out.push_back(t);
  };
  add(layer.input_layernorm);
  add(layer.post_attention_layernorm);
  add(layer.q_norm);
  add(layer.k_norm);
  for (const Linear* l : {&layer.q_proj, &layer.k_proj, &layer.v_proj, &layer.o_proj, &layer.gate_proj,
                          &layer.up_proj, &layer.down_proj}) {
    add(l->weight);
    add(l->bias);
    add(l->lora_a);
    add(l->lora_b);
  }
  return out;
}

// Runs `layer_fn` with the generator of `device` set to `state`, then puts the generator back.
template <typename Fn>
at::Tensor WithGeneratorState(c10::Device device, const at::Tensor& state, Fn layer_fn) {
  at::Generator generator = at::globalContext().defaultGenerator(device);
  const at::Tensor now = generator.get_state();
  generator.set_state(state);
  at::Tensor out = layer_fn();
  generator.set_state(now);
  return out;
}

// What the backward needs besides the saved input: the layer as a function of its input (closing over
// cos/sin/mask, constants for autograd) and the layer's trainable tensors.
struct LayerRerun : torch::CustomClassHolder {
  std::function<at::Tensor(const at::Tensor&)> fn;
  std::vector<at::Tensor> params;
};

struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  // Autograd inputs: `x` and `params` (the same tensors as rerun->params, listed so autograd routes
  // their gradients); `rerun` is not a tensor.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, at::TensorList params,
                            c10::intrusive_ptr<LayerRerun> rerun) {
    (void)params;
    ctx->saved_data["generator_state"] = at::globalContext().defaultGenerator(x.device()).get_state();
    ctx->save_for_backward({x});
    at::Tensor out;
    {
      c10::NoGradGuard no_grad;
      cpu::KernelsOffScope aten_only;  // the same ops as the rerun, whatever needs autograd there
      out = rerun->fn(x);
    }
    ctx->saved_data["rerun"] = c10::IValue::make_capsule(std::move(rerun));
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const at::Tensor saved_x = ctx->get_saved_variables()[0];
    const auto rerun = c10::static_intrusive_pointer_cast<LayerRerun>(ctx->saved_data["rerun"].toCapsule());
    const at::Tensor state = ctx->saved_data["generator_state"].toTensor();
    const at::Tensor x = saved_x.detach().requires_grad_(saved_x.requires_grad());
    at::Tensor out;
    {
      c10::AutoGradMode enable(true);
      cpu::KernelsOffScope aten_only;
      out = WithGeneratorState(x.device(), state, [&] { return rerun->fn(x); });
    }
    std::vector<at::Tensor> inputs;
    if (x.requires_grad()) inputs.push_back(x);
    inputs.insert(inputs.end(), rerun->params.begin(), rerun->params.end());
    variable_list grads;
    if (!inputs.empty()) {
      grads = torch::autograd::grad({out}, inputs, {grad_outputs[0]}, /*retain_graph=*/false,
                                    /*create_graph=*/false, /*allow_unused=*/true);
    }
    // One entry per forward argument: x, each param, then the non-tensor rerun.
    variable_list result;
    size_t next = 0;
    result.push_back(x.requires_grad() ? grads[next++] : at::Tensor());
    for (size_t i = 0; i < rerun->params.size(); ++i) result.push_back(grads[next++]);
    result.push_back(at::Tensor());
    return result;
  }
};

}  // namespace

at::Tensor Transformer::CheckpointedLayer(const DecoderLayer& layer, int64_t index, const at::Tensor& x,
                                          const at::Tensor& cos, const at::Tensor& sin, const at::Tensor& mask) const {
  auto rerun = c10::make_intrusive<LayerRerun>();
  rerun->fn = [this, &layer, index, cos, sin, mask](const at::Tensor& input) {
    return Layer(layer, index, input, cos, sin, mask, nullptr);
  };
  rerun->params = TrainableTensors(layer);
  const std::vector<at::Tensor> params = rerun->params;
  return CheckpointFunction::apply(x, at::TensorList(params), std::move(rerun));
}

}  // namespace deeper
