// The hand-written decode kernels against the ATen ops they replace, on shapes that exercise every tail
// (rows 1..16, widths not multiples of the vector length, strided K/V, masked keys).
#include "model/cpu_kernels.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "model/ops.h"

namespace deeper {
namespace {

bool KernelsActive() { return std::string(cpu::KernelIsaName()) != "off"; }

at::Tensor Randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return at::randn(shape, g);
}

TEST(CpuKernels, SmallLinearEqualsAtLinearForEveryTail) {
  if (!KernelsActive()) GTEST_SKIP() << "no AVX2/AVX-512 on this CPU (or DEEPER_CPU_KERNELS=0)";
  c10::NoGradGuard no_grad;
  uint64_t seed = 1;
  for (int64_t rows : {1, 2, 3, 5, 8, 13, 16}) {
    for (auto [n, k] : {std::pair<int64_t, int64_t>{7, 5}, {33, 17}, {64, 64}, {100, 129}, {257, 96}}) {
      const at::Tensor x = Randn({rows, k}, seed++);
      const at::Tensor w = Randn({n, k}, seed++);
      const at::Tensor b = Randn({n}, seed++);
      for (const at::Tensor& bias : {at::Tensor(), b}) {
        const at::Tensor got = cpu::SmallLinear(x, w, bias);
        ASSERT_TRUE(got.defined()) << rows << "x" << k << " by " << n << "x" << k;
        const at::Tensor want = at::linear(x, w, bias);
        EXPECT_TRUE(at::allclose(got, want, 1e-5, 1e-5))
            << rows << "x" << k << " by " << n << "x" << k << (bias.defined() ? " + bias" : "") << ": max |diff| "
            << (got - want).abs().max().item<double>();
      }
    }
  }
  // A [B, 1, K] decode-step input keeps its leading dims.
  const at::Tensor x3 = Randn({4, 1, 40}, 99);
  const at::Tensor w = Randn({24, 40}, 100);
  const at::Tensor y3 = cpu::SmallLinear(x3, w, {});
  ASSERT_TRUE(y3.defined());
  EXPECT_EQ(y3.sizes(), (std::vector<int64_t>{4, 1, 24}));
  EXPECT_TRUE(at::allclose(y3, at::linear(x3, w), 1e-5, 1e-5));
}

TEST(CpuKernels, SmallLinearDeclinesWhatItDoesNotHandle) {
  c10::NoGradGuard no_grad;
  const at::Tensor w = Randn({8, 8}, 1);
  EXPECT_FALSE(cpu::SmallLinear(Randn({2, 8}, 2).to(at::kDouble), w.to(at::kDouble), {}).defined());
  EXPECT_FALSE(cpu::SmallLinear(Randn({2, 8}, 3), w.t(), {}).defined()) << "non-contiguous weight";
  at::Tensor trained = w.clone().requires_grad_(true);
  c10::AutoGradMode grad(true);
  EXPECT_FALSE(cpu::SmallLinear(Randn({2, 8}, 4), trained, {}).defined()) << "autograd needs at::linear";
}

TEST(CpuKernels, RmsNormRopeAndDecodeAttendMatchTheOps) {
  if (!KernelsActive()) GTEST_SKIP() << "no AVX2/AVX-512 on this CPU (or DEEPER_CPU_KERNELS=0)";
  c10::NoGradGuard no_grad;
  const int64_t b = 3, heads = 4, kv_heads = 2, d = 10, t = 7;
  const at::Tensor x = Randn({b, 1, heads * d}, 5);
  ASSERT_TRUE(cpu::FusedDecodeApplies(x));
  const at::Tensor weight = Randn({heads * d}, 6);
  EXPECT_TRUE(at::allclose(cpu::RmsNorm(x, weight, 1e-5), ops::RmsNorm(x, weight, 1e-5), 1e-5, 1e-6));

  const at::Tensor angles = Randn({b, 1, d / 2}, 7);
  const at::Tensor cos = at::cat({angles.cos(), angles.cos()}, -1), sin = at::cat({angles.sin(), angles.sin()}, -1);
  at::Tensor rotated = x.clone();
  cpu::RopeInPlace(rotated, heads, cos, sin);
  const at::Tensor per_head = x.view({b, 1, heads, d});
  const at::Tensor half = at::cat({-per_head.narrow(-1, d / 2, d / 2), per_head.narrow(-1, 0, d / 2)}, -1);
  const at::Tensor want = (per_head * cos.unsqueeze(2) + half * sin.unsqueeze(2)).view({b, 1, heads * d});
  EXPECT_TRUE(at::allclose(rotated, want, 1e-5, 1e-6));

  // Keys/values as a slice of a larger cache (strided), the last key of row 1 and the first of row 2 masked.
  const at::Tensor cache_k = Randn({b, kv_heads, t + 3, d}, 8), cache_v = Randn({b, kv_heads, t + 3, d}, 9);
  const at::Tensor keys = cache_k.narrow(2, 0, t), values = cache_v.narrow(2, 0, t);
  at::Tensor mask = at::ones({b, 1, 1, t}, at::kBool);
  mask[1][0][0][t - 1] = false;
  mask[2][0][0][0] = false;
  const at::Tensor got = cpu::DecodeAttend(x, keys, values, mask);
  const at::Tensor q = x.view({b, 1, heads, d}).transpose(1, 2);                       // [B,H,1,D]
  const at::Tensor k = keys.repeat_interleave(heads / kv_heads, 1), v = values.repeat_interleave(heads / kv_heads, 1);
  const at::Tensor scores = at::matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(d));
  const at::Tensor probs = at::softmax(scores.masked_fill(mask.logical_not(), -INFINITY), -1);
  const at::Tensor expected = at::matmul(probs, v).transpose(1, 2).reshape({b, 1, heads * d});
  EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-6)) << "max |diff| " << (got - expected).abs().max().item<double>();
}

}  // namespace
}  // namespace deeper
