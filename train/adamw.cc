#include "train/adamw.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>

#include <cmath>
#include <vector>

#include "common/error.h"

namespace deeper {

AdamW::AdamW(std::vector<std::pair<std::string, at::Tensor>> params, AdamWOptions options)
    : params_(std::move(params)), options_(options) {
  DEEPER_REQUIRE(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1,
                 "AdamW betas must be in [0, 1)");
  DEEPER_REQUIRE(options_.eps > 0, "AdamW eps must be > 0");
  for (const auto& [name, p] : params_) {
    exp_avg_.push_back(at::zeros(p.sizes(), p.options().dtype(at::kFloat)));
    exp_avg_sq_.push_back(at::zeros(p.sizes(), p.options().dtype(at::kFloat)));
    master_.push_back(p.scalar_type() == at::kFloat ? at::Tensor() : p.detach().to(at::kFloat));
  }
}

void AdamW::Step(double lr) {
  c10::NoGradGuard no_grad;
  ++step_;
  const double bias1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
  const double bias2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
  const double step_size = lr / bias1;
  const double bias2_sqrt = std::sqrt(bias2);
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor p = params_[i].second;
    const at::Tensor& grad_ref = p.grad();
    if (!grad_ref.defined()) continue;
    const bool fp32 = !master_[i].defined();
    at::Tensor master = fp32 ? p : master_[i];
    const at::Tensor g = grad_ref.to(at::kFloat);
    if (options_.weight_decay != 0) master.mul_(1.0 - lr * options_.weight_decay);
    exp_avg_[i].lerp_(g, 1.0 - options_.beta1);  // One pass instead of mul_ + add_ (as torch's AdamW).
    exp_avg_sq_[i].mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    const at::Tensor denom = (exp_avg_sq_[i].sqrt() / bias2_sqrt).add_(options_.eps);
    master.addcdiv_(exp_avg_[i], denom, -step_size);
    if (!fp32) p.copy_(master);
  }
}

void AdamW::ZeroGrad() {
  for (auto& [name, p] : params_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

std::map<std::string, at::Tensor> AdamW::StateTensors() const {
  std::map<std::string, at::Tensor> state;
  for (size_t i = 0; i < params_.size(); ++i) {
    state["exp_avg/" + params_[i].first] = exp_avg_[i].to(at::kCPU).contiguous();
    state["exp_avg_sq/" + params_[i].first] = exp_avg_sq_[i].to(at::kCPU).contiguous();
    if (master_[i].defined()) state["master/" + params_[i].first] = master_[i].to(at::kCPU).contiguous();
  }
  return state;
}

void AdamW::LoadState(const std::map<std::string, at::Tensor>& state, int64_t step, const std::string& source) {
  c10::NoGradGuard no_grad;
  DEEPER_REQUIRE(step >= 0, source, ": optimizer step ", step, " is negative");
  for (size_t i = 0; i < params_.size(); ++i) {
    for (const std::string kind : {"exp_avg/", "exp_avg_sq/"}) {
      const std::string key = kind + params_[i].first;
      auto it = state.find(key);
      DEEPER_REQUIRE(it != state.end(), source, ": optimizer state '", key, "' is missing");
      DEEPER_REQUIRE(it->second.sizes() == params_[i].second.sizes(), source, ": optimizer state '", key,
                     "' has shape ", it->second.sizes(), ", the parameter has ", params_[i].second.sizes());
      at::Tensor& target = kind == "exp_avg/" ? exp_avg_[i] : exp_avg_sq_[i];
      target.copy_(it->second.to(at::kFloat));
    }
  }
  size_t expected = 2 * params_.size();
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!master_[i].defined()) continue;
    ++expected;
    auto it = state.find("master/" + params_[i].first);
    // Without a saved master copy (a checkpoint of other precision) the parameter itself is the best start.
    if (it != state.end()) master_[i].copy_(it->second.to(at::kFloat));
    else master_[i].copy_(params_[i].second.detach().to(at::kFloat));
  }
  DEEPER_REQUIRE(state.size() <= expected && state.size() >= 2 * params_.size(), source, ": optimizer state holds ",
                 state.size(), " tensors, expected ", expected, " (different trainable parameters?)");
  step_ = step;
}

double ClipGradNorm(const std::vector<at::Tensor>& params, double max_norm) {
  c10::NoGradGuard no_grad;
  // The norm of the per-tensor norms, as torch's clip_grad_norm_: one read of each gradient in its own
  // dtype, accumulated in fp32, instead of an fp32 copy, its square and a sum.
  std::vector<at::Tensor> norms;
  for (const at::Tensor& p : params) {
    const at::Tensor& g = p.grad();
    if (g.defined()) norms.push_back(at::linalg_vector_norm(g, 2, c10::nullopt, false, at::kFloat));
  }
  if (norms.empty()) return 0.0;
  const double norm = at::linalg_vector_norm(at::stack(norms), 2).item<double>();
  const double scale = max_norm / (norm + 1e-6);
  if (max_norm > 0 && scale < 1.0) {
    for (const at::Tensor& p : params) {
      if (p.grad().defined()) p.grad().mul_(scale);
    }
  }
  return norm;
}

}  // namespace deeper
