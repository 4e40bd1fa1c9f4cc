// AdamW on ATen tensors (torch.optim.AdamW's math: decoupled weight decay, bias-corrected moments),
// written here so that its whole state can be saved and restored for an exact resume.
//
// Per parameter p with gradient g, at update t (1-based):
//   p -= lr * weight_decay * p
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Moments are fp32. Parameters of another dtype (bf16/f16 full fine-tuning) get an fp32 master copy that
// takes the updates and is rounded into the parameter after each step: updates of lr 5e-6 would vanish
// below bf16's resolution otherwise.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace deeper {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

class AdamW {
 public:
  // `params` share storage with the model's tensors (Transformer::NamedParameters), names unique.
  AdamW(std::vector<std::pair<std::string, at::Tensor>> params, AdamWOptions options);

  // One update with learning rate `lr` using each parameter's .grad() (parameters without a gradient
  // are skipped, as torch does). Increments step().
  void Step(double lr);
  // Sets every gradient to zero (keeps the buffers).
  void ZeroGrad();

  int64_t step() const { return step_; }
  const AdamWOptions& options() const { return options_; }
  const std::vector<std::pair<std::string, at::Tensor>>& params() const { return params_; }

  // The moments as "exp_avg/<name>", "exp_avg_sq/<name>", and "master/<name>" for parameters with an
  // fp32 master copy (CPU copies).
  std::map<std::string, at::Tensor> StateTensors() const;
  // Restores StateTensors() output; every parameter's moments must be present with its shape.
  // `source` names the file in errors.
  void LoadState(const std::map<std::string, at::Tensor>& state, int64_t step, const std::string& source);

 private:
  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::vector<at::Tensor> exp_avg_;
  std::vector<at::Tensor> exp_avg_sq_;
  std::vector<at::Tensor> master_;  // fp32 copy of a non-fp32 parameter; undefined for fp32 ones.
  AdamWOptions options_;
  int64_t step_ = 0;
};

// Global L2 norm of the gradients (fp32 accumulation) and, when max_norm > 0 and the norm exceeds it,
// scales them by max_norm / (norm + 1e-6) as torch.nn.utils.clip_grad_norm_. Returns the norm before
// clipping.
double ClipGradNorm(const std::vector<at::Tensor>& params, double max_norm);

}  // namespace deeper
