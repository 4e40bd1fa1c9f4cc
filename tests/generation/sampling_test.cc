// Sampling: keyed uniforms (device = host, batch independence), HF-style top-k / top-p filtering on
// hand-made distributions, inverse-CDF selection and its empirical frequencies.
#include "model/sampling.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "common/error.h"

namespace deeper {
namespace {

SamplingOptions Sample(double temperature, int64_t top_k, double top_p) {
  SamplingOptions o;
  o.greedy = false;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  return o;
}

// One row of logits whose softmax is `probs`.
at::Tensor LogitsOf(const std::vector<float>& probs) {
  return at::tensor(probs, at::TensorOptions().dtype(at::kFloat)).log().unsqueeze(0);
}

// The token ids FilteredLogits keeps in row 0.
std::set<int64_t> Kept(const at::Tensor& logits, const SamplingOptions& options) {
  const at::Tensor filtered = FilteredLogits(logits, options);
  std::set<int64_t> kept;
  for (int64_t v = 0; v < filtered.size(1); ++v) {
    if (std::isfinite(filtered[0][v].item<float>())) kept.insert(v);
  }
  return kept;
}

TEST(SamplingStreams, DeviceUniformsEqualTheHostReference) {
  std::vector<int64_t> streams, steps;
  for (uint64_t key = 0; key < 40; ++key) {
    for (int64_t step : {0, 1, 2, 17, 1000, 65535, 1 << 20}) {
      streams.push_back(static_cast<int64_t>(SamplingStream(key % 3, SamplingKey({key, 7, key * 3}))));
      steps.push_back(step);
    }
  }
  streams.push_back(-1);  // All bits set: the signed reinterpretation must not matter.
  steps.push_back(5);
  // The tensor-op formula (what accelerators run) and the CPU path both equal the scalar function.
  const at::Tensor u = detail::StreamUniformsTensorOps(at::tensor(streams), at::tensor(steps));
  const at::Tensor cpu = StreamUniforms(at::tensor(streams), at::tensor(steps));
  ASSERT_EQ(u.scalar_type(), at::kFloat);
  for (size_t i = 0; i < streams.size(); ++i) {
    const float host = StreamUniform(static_cast<uint64_t>(streams[i]), steps[i]);
    EXPECT_EQ(u[i].item<float>(), host) << "stream " << streams[i] << " step " << steps[i];
    EXPECT_EQ(cpu[i].item<float>(), host);
    EXPECT_GE(host, 0.0f);
    EXPECT_LT(host, 1.0f);
  }
}

TEST(SamplingStreams, UniformsLookUniformAndKeysDiffer) {
  const int64_t n = 20000;
  std::vector<int64_t> streams(n), steps(n);
  for (int64_t i = 0; i < n; ++i) {
    streams[i] = static_cast<int64_t>(SamplingStream(42, SamplingKey({1, static_cast<uint64_t>(i / 10)})));
    steps[i] = i % 10;
  }
  const at::Tensor u = StreamUniforms(at::tensor(streams), at::tensor(steps)).to(at::kDouble);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.01);
  EXPECT_NEAR(u.var().item<double>(), 1.0 / 12.0, 0.005);
  // Ten equal bins, each within 5 sigma of n/10.
  const at::Tensor bins = u.mul(10).floor().to(at::kLong).bincount({}, 10);
  for (int64_t b = 0; b < 10; ++b) EXPECT_NEAR(bins[b].item<int64_t>(), n / 10, 5 * std::sqrt(n * 0.09));
  // Seeds, keys and key part order all change the stream.
  EXPECT_NE(SamplingStream(1, 5), SamplingStream(2, 5));
  EXPECT_NE(SamplingStream(1, 5), SamplingStream(1, 6));
  EXPECT_NE(SamplingKey({1, 2}), SamplingKey({2, 1}));
  EXPECT_NE(StreamUniform(SamplingStream(1, 5), 0), StreamUniform(SamplingStream(1, 5), 1));
}

TEST(SamplingFilters, TopPKeepsTheSmallestSetReachingP) {
  // Vocabulary order is deliberately not the probability order.
  const at::Tensor logits = LogitsOf({0.15f, 0.5f, 0.05f, 0.3f});
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 1.0)), (std::set<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.01)), (std::set<int64_t>{1}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.45)), (std::set<int64_t>{1}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.55)), (std::set<int64_t>{1, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.7)), (std::set<int64_t>{1, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.9)), (std::set<int64_t>{0, 1, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.97)), (std::set<int64_t>{0, 1, 2, 3}));
}

TEST(SamplingFilters, TopKThenTopPRenormalisesOverTheTopK) {
  const at::Tensor logits = LogitsOf({0.15f, 0.5f, 0.05f, 0.3f});
  EXPECT_EQ(Kept(logits, Sample(1.0, 2, 1.0)), (std::set<int64_t>{1, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 1, 1.0)), (std::set<int64_t>{1}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 9, 1.0)), (std::set<int64_t>{0, 1, 2, 3}));
  // Top-3 renormalised: 0.526, 0.316, 0.158. p = 0.83 needs two of them (0.842), not three; without
  // top-k the same p needs three tokens (0.5 + 0.3 = 0.8 < 0.83).
  EXPECT_EQ(Kept(logits, Sample(1.0, 3, 0.83)), (std::set<int64_t>{1, 3}));
  EXPECT_EQ(Kept(logits, Sample(1.0, 0, 0.83)), (std::set<int64_t>{0, 1, 3}));
}

TEST(SamplingFilters, TemperatureScalesLogitsBeforeFiltering) {
  const at::Tensor logits = at::tensor({1.0f, 2.0f, 4.0f}).unsqueeze(0);
  const at::Tensor scaled = FilteredLogits(logits, Sample(2.0, 0, 1.0));
  EXPECT_TRUE(at::allclose(scaled, logits / 2.0));
  // Temperature 0.5 sharpens: softmax([2, 4, 8]) puts 0.98 on the last token.
  EXPECT_EQ(Kept(logits, Sample(0.5, 0, 0.95)), (std::set<int64_t>{2}));
  EXPECT_EQ(Kept(logits, Sample(4.0, 0, 0.95)), (std::set<int64_t>{0, 1, 2}));
}

TEST(SamplingSelect, InverseCdfOverSortedFilteredCandidates) {
  // Kept with p = 0.7: token 1 (0.5) then token 3 (0.3), renormalised to 0.625 / 0.375.
  const at::Tensor logits = LogitsOf({0.15f, 0.5f, 0.05f, 0.3f}).expand({5, 4}).contiguous();
  const at::Tensor u = at::tensor({0.0f, 0.6f, 0.62f, 0.63f, 0.9999f});
  const std::vector<int64_t> expected = {1, 1, 1, 3, 3};
  const at::Tensor picked = SampleTokens(logits, Sample(1.0, 0, 0.7), u);
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(picked[i].item<int64_t>(), expected[i]) << "u = " << u[i].item<float>();
  // No filter: vocabulary order, cumulative 0.15, 0.65, 0.70, 1.0.
  const at::Tensor plain = SampleTokens(logits, Sample(1.0, 0, 1.0), at::tensor({0.1f, 0.2f, 0.66f, 0.71f, 0.99f}));
  EXPECT_TRUE(plain.equal(at::tensor(std::vector<int64_t>{0, 1, 2, 3, 3}))) << plain;
}

TEST(SamplingSelect, FrequenciesFollowTheFilteredDistribution) {
  const int64_t n = 40000;
  const at::Tensor logits = LogitsOf({0.15f, 0.5f, 0.05f, 0.3f}).expand({n, 4}).contiguous();
  std::vector<int64_t> streams(n, static_cast<int64_t>(SamplingStream(3, 9)));
  std::vector<int64_t> steps(n);
  for (int64_t i = 0; i < n; ++i) steps[i] = i;
  const at::Tensor u = StreamUniforms(at::tensor(streams), at::tensor(steps));
  const at::Tensor counts = SampleTokens(logits, Sample(1.0, 0, 0.9), u).bincount({}, 4).to(at::kDouble) / n;
  const std::vector<double> expected = {0.15 / 0.95, 0.5 / 0.95, 0.0, 0.3 / 0.95};
  for (int64_t v = 0; v < 4; ++v) EXPECT_NEAR(counts[v].item<double>(), expected[v], 0.01) << "token " << v;
}

TEST(SamplingSelect, TopKOneAndZeroTemperatureAreGreedy) {
  const at::Tensor logits = at::randn({16, 50}, at::TensorOptions().dtype(at::kFloat));
  const at::Tensor u = at::rand({16});
  const at::Tensor argmax = logits.argmax(-1);
  EXPECT_TRUE(SampleTokens(logits, Sample(1.3, 1, 0.9), u).equal(argmax));
  EXPECT_TRUE(SampleTokens(logits, Sample(0.0, 0, 1.0), u).equal(argmax));
  SamplingOptions greedy;
  EXPECT_TRUE(SampleTokens(logits, greedy, {}).equal(argmax));
}

TEST(SamplingSelect, RowsDoNotDependOnTheirNeighbours) {
  const at::Tensor logits = at::randn({8, 300}, at::TensorOptions().dtype(at::kFloat));
  const at::Tensor u = at::rand({8});
  const SamplingOptions options = Sample(0.8, 40, 0.9);
  const at::Tensor all = SampleTokens(logits, options, u);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(SampleTokens(logits.narrow(0, i, 1), options, u.narrow(0, i, 1)).item<int64_t>(),
              all[i].item<int64_t>());
  }
}

TEST(SamplingSelect, CpuLoopsAgreeWithTensorOps) {
  // Peaked and flat rows over a vocabulary large enough for the lazy top-p sort to extend its range.
  at::manual_seed(3);
  const at::Tensor logits = at::cat({at::randn({24, 3000}) * 4.0, at::randn({24, 3000}) * 0.1}).contiguous();
  const at::Tensor u = at::rand({48});
  for (const SamplingOptions& options : {Sample(1.0, 0, 1.0), Sample(0.7, 0, 1.0), Sample(1.0, 40, 1.0),
                                         Sample(1.2, 0, 0.9), Sample(0.8, 50, 0.95), Sample(1.0, 0, 0.3),
                                         SamplingOptions{}}) {
    const at::Tensor host = SampleTokens(logits, options, u);
    const at::Tensor ops = detail::SampleTokensTensorOps(logits, options, u);
    EXPECT_TRUE(host.equal(ops)) << "temperature " << options.temperature << " top_k " << options.top_k << " top_p "
                                 << options.top_p << "\n" << host << ops;
  }
}

TEST(SamplingOptionsCheck, RejectsOutOfRangeValues) {
  EXPECT_THROW(ValidateSamplingOptions(Sample(1.0, -1, 1.0)), Error);
  EXPECT_THROW(ValidateSamplingOptions(Sample(1.0, 0, 0.0)), Error);
  EXPECT_THROW(ValidateSamplingOptions(Sample(1.0, 0, 1.5)), Error);
  EXPECT_THROW(ValidateSamplingOptions(Sample(std::nan(""), 0, 1.0)), Error);
  EXPECT_NO_THROW(ValidateSamplingOptions(Sample(0.7, 50, 0.95)));
}

}  // namespace
}  // namespace deeper
