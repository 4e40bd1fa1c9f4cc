#include "model/cpu_kernels.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "common/error.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define DEEPER_X86_KERNELS 1
#else
#define DEEPER_X86_KERNELS 0
#endif

namespace deeper {
namespace cpu {
namespace {

// Output rows (of W) per tile; input rows per tile are 1..4. 4 x 4 accumulators + 4 weight vectors
// + 1 input vector fit the 16 AVX2 registers' budget loosely and the 32 AVX-512 ones easily.
constexpr int kTileN = 4;
constexpr int kTileM = 4;

struct Problem {
  const float* x;  // [m, k] row-major
  const float* w;  // [n, k] row-major
  const float* b;  // [n] or null
  float* y;        // [m, n] row-major
  int64_t m, k, n;
};

#if DEEPER_X86_KERNELS

// ---- AVX-512 ----------------------------------------------------------------------------------------
// Horizontal sum (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header).
// (The maskz forms: the plain ones use _mm512_undefined_ps, which warns in GCC 12.)
__attribute__((target("avx512f"))) inline float Sum512(__m512 v) {
  constexpr __mmask16 kAll = 0xFFFF;
  __m512 t = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(kAll, v, v, 0x4E));  // + the other 256-bit half
  t = _mm512_add_ps(t, _mm512_maskz_shuffle_f32x4(kAll, t, t, 0xB1));          // + the neighbouring 128-bit lane
  __m128 s = _mm512_maskz_extractf32x4_ps(0xF, t, 0);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

template <int MB, int NB>
__attribute__((target("avx512f"))) inline void Tile512(const Problem& p, int64_t m0, int64_t n0) {
  __m512 acc[MB][NB];
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  const int64_t k = p.k;
  const float* w = p.w + n0 * k;
  const float* x = p.x + m0 * k;
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    __m512 wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_ps(w + j * k + i);
#pragma GCC unroll 4
    for (int r = 0; r < MB; ++r) {
      const __m512 xv = _mm512_loadu_ps(x + r * k + i);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_fmadd_ps(xv, wv[j], acc[r][j]);
    }
  }
  if (i < k) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - i)) - 1u);
    __m512 wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_maskz_loadu_ps(mask, w + j * k + i);
#pragma GCC unroll 4
    for (int r = 0; r < MB; ++r) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + r * k + i);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_fmadd_ps(xv, wv[j], acc[r][j]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const float sum = Sum512(acc[r][j]);
      p.y[(m0 + r) * p.n + n0 + j] = p.b != nullptr ? sum + p.b[n0 + j] : sum;
    }
  }
}

template <int NB>
__attribute__((target("avx512f"))) void Columns512(const Problem& p, int64_t n0) {
  int64_t m0 = 0;
  for (; m0 + kTileM <= p.m; m0 += kTileM) Tile512<kTileM, NB>(p, m0, n0);
  switch (p.m - m0) {
    case 3: Tile512<3, NB>(p, m0, n0); break;
    case 2: Tile512<2, NB>(p, m0, n0); break;
    case 1: Tile512<1, NB>(p, m0, n0); break;
    default: break;
  }
}

__attribute__((target("avx512f"))) void Run512(const Problem& p, int64_t n_begin, int64_t n_end) {
  int64_t n0 = n_begin;
  for (; n0 + kTileN <= n_end; n0 += kTileN) Columns512<kTileN>(p, n0);
  for (; n0 < n_end; ++n0) Columns512<1>(p, n0);
}

// ---- AVX2 + FMA -------------------------------------------------------------------------------------
__attribute__((target("avx2,fma"))) inline float Sum256(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

template <int MB, int NB>
__attribute__((target("avx2,fma"))) inline void Tile256(const Problem& p, int64_t m0, int64_t n0) {
  __m256 acc[MB][NB];
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm256_setzero_ps();
  }
  const int64_t k = p.k;
  const float* w = p.w + n0 * k;
  const float* x = p.x + m0 * k;
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    __m256 wv[NB];
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) wv[j] = _mm256_loadu_ps(w + j * k + i);
#pragma GCC unroll 4
    for (int r = 0; r < MB; ++r) {
      const __m256 xv = _mm256_loadu_ps(x + r * k + i);
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm256_fmadd_ps(xv, wv[j], acc[r][j]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < MB; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      float sum = Sum256(acc[r][j]);
      for (int64_t t = i; t < k; ++t) sum += x[r * k + t] * w[j * k + t];
      p.y[(m0 + r) * p.n + n0 + j] = p.b != nullptr ? sum + p.b[n0 + j] : sum;
    }
  }
}

template <int NB>
__attribute__((target("avx2,fma"))) void Columns256(const Problem& p, int64_t n0) {
  int64_t m0 = 0;
  for (; m0 + kTileM <= p.m; m0 += kTileM) Tile256<kTileM, NB>(p, m0, n0);
  switch (p.m - m0) {
    case 3: Tile256<3, NB>(p, m0, n0); break;
    case 2: Tile256<2, NB>(p, m0, n0); break;
    case 1: Tile256<1, NB>(p, m0, n0); break;
    default: break;
  }
}

__attribute__((target("avx2,fma"))) void Run256(const Problem& p, int64_t n_begin, int64_t n_end) {
  int64_t n0 = n_begin;
  for (; n0 + kTileN <= n_end; n0 += kTileN) Columns256<kTileN>(p, n0);
  for (; n0 < n_end; ++n0) Columns256<1>(p, n0);
}

#endif  // DEEPER_X86_KERNELS

enum class Isa { kNone, kAvx2, kAvx512 };

// DEEPER_CPU_KERNELS=0 turns the kernels off (ATen ops throughout: for A/B measurements and
// debugging); DEEPER_CPU_KERNELS=avx2 limits them to AVX2 (to test that path on AVX-512 machines).
Isa DetectIsa() {
  const char* env = std::getenv("DEEPER_CPU_KERNELS");
  if (env != nullptr && std::strcmp(env, "0") == 0) return Isa::kNone;
  const bool avx2_only = env != nullptr && std::strcmp(env, "avx2") == 0;
#if DEEPER_X86_KERNELS
  __builtin_cpu_init();
  if (!avx2_only && __builtin_cpu_supports("avx512f")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#else
  (void)avx2_only;
#endif
  return Isa::kNone;
}

thread_local bool t_kernels_off = false;

Isa CurrentIsa() {
  static const Isa isa = DetectIsa();
  return t_kernels_off ? Isa::kNone : isa;
}

// ---- Dot products and axpy along head_dim -----------------------------------------------------------
using DotFn = float (*)(const float*, const float*, int64_t);
using AxpyFn = void (*)(float*, float, const float*, int64_t);

float DotScalar(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void AxpyScalar(float* y, float a, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

#if DEEPER_X86_KERNELS
__attribute__((target("avx512f"))) float Dot512(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc);
  }
  return Sum512(acc);
}

__attribute__((target("avx512f"))) void Axpy512(float* y, float a, const float* x, int64_t n) {
  const __m512 av = _mm512_set1_ps(a);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, mask,
                          _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(mask, x + i), _mm512_maskz_loadu_ps(mask, y + i)));
  }
}

__attribute__((target("avx2,fma"))) float Dot256(const float* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float sum = Sum256(acc);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void Axpy256(float* y, float a, const float* x, int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}
#endif

struct VectorOps {
  DotFn dot = DotScalar;
  AxpyFn axpy = AxpyScalar;
};

VectorOps CurrentVectorOps() {
  VectorOps ops;
#if DEEPER_X86_KERNELS
  if (CurrentIsa() == Isa::kAvx512) {
    ops.dot = Dot512;
    ops.axpy = Axpy512;
  } else if (CurrentIsa() == Isa::kAvx2) {
    ops.dot = Dot256;
    ops.axpy = Axpy256;
  }
#endif
  return ops;
}

}  // namespace

KernelsOffScope::KernelsOffScope() : previous_(t_kernels_off) { t_kernels_off = true; }
KernelsOffScope::~KernelsOffScope() { t_kernels_off = previous_; }

const char* KernelIsaName() {
  switch (CurrentIsa()) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    default: return "off";
  }
}

bool FusedDecodeApplies(const at::Tensor& x) {
  // Not while autograd records: the fused loops are invisible to it (norm weights may train).
  return CurrentIsa() != Isa::kNone && !c10::GradMode::is_enabled() && x.device().is_cpu() &&
         x.scalar_type() == at::kFloat;
}

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor xc = x.contiguous();
  const at::Tensor wc = weight.to(at::kFloat).contiguous();
  const int64_t h = x.size(-1), rows = x.numel() / h;
  at::Tensor y = at::empty(x.sizes(), x.options());
  const float* in = xc.data_ptr<float>();
  const float* w = wc.data_ptr<float>();
  float* out = y.data_ptr<float>();
  const float epsf = static_cast<float>(eps);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = in + r * h;
    float* yr = out + r * h;
    double sum = 0.0;
    for (int64_t i = 0; i < h; ++i) sum += static_cast<double>(xr[i]) * xr[i];
    const float variance = static_cast<float>(sum / static_cast<double>(h));
    const float scale = 1.0f / std::sqrt(variance + epsf);
    for (int64_t i = 0; i < h; ++i) yr[i] = w[i] * (xr[i] * scale);
  }
  return y;
}

void RopeInPlace(at::Tensor& x, int64_t heads, const at::Tensor& cos, const at::Tensor& sin) {
  const at::Tensor c = cos.to(at::kFloat).contiguous(), s = sin.to(at::kFloat).contiguous();
  const int64_t b = x.size(0), d = c.size(-1), half = d / 2;
  float* data = x.data_ptr<float>();
  for (int64_t r = 0; r < b; ++r) {
    const float* cr = c.data_ptr<float>() + r * d;
    const float* sr = s.data_ptr<float>() + r * d;
    for (int64_t hd = 0; hd < heads; ++hd) {
      float* v = data + (r * heads + hd) * d;
      for (int64_t i = 0; i < half; ++i) {
        const float lo = v[i], hi = v[i + half];
        // x * cos + rotate_half(x) * sin, rotate_half(x) = [-hi, lo]; two products, then the sum.
        const float lo_cos = lo * cr[i], hi_sin = hi * sr[i];
        const float hi_cos = hi * cr[i + half], lo_sin = lo * sr[i + half];
        v[i] = lo_cos - hi_sin;
        v[i + half] = hi_cos + lo_sin;
      }
    }
  }
}

at::Tensor DecodeAttend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& mask) {
  const int64_t b = keys.size(0), hkv = keys.size(1), t = keys.size(2), d = keys.size(3);
  const int64_t h = q.size(-1) / d, rep = h / hkv;
  DEEPER_REQUIRE(keys.stride(3) == 1 && values.stride(3) == 1 && values.sizes() == keys.sizes() &&
                     q.is_contiguous() && q.numel() == b * h * d,
                 "DecodeAttend: unexpected layouts");
  DEEPER_REQUIRE(mask.scalar_type() == at::kBool, "DecodeAttend: the mask must be bool");
  const at::Tensor m = mask.contiguous();
  DEEPER_REQUIRE(m.numel() == b * t, "DecodeAttend: mask of ", m.sizes(), " for ", b, " rows of ", t, " keys");
  at::Tensor out = at::zeros({b, 1, h * d}, q.options());
  const float* qp = q.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  const bool* mp = m.data_ptr<bool>();
  float* op = out.data_ptr<float>();
  const int64_t ks0 = keys.stride(0), ks1 = keys.stride(1), ks2 = keys.stride(2);
  const int64_t vs0 = values.stride(0), vs1 = values.stride(1), vs2 = values.stride(2);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  const VectorOps vec = CurrentVectorOps();
  // One task per (row, query head); each reads its kv head's keys and values once.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, t * d));
  at::parallel_for(0, b * h, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(t);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t r = task / h, head = task % h, g = head / rep;
      const float* qv = qp + (r * h + head) * d;
      const float* kb = kp + r * ks0 + g * ks1;
      const float* vb = vp + r * vs0 + g * vs1;
      const bool* visible = mp + r * t;
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t c = 0; c < t; ++c) {
        if (!visible[c]) continue;
        scores[c] = vec.dot(qv, kb + c * ks2, d) * scale;
        top = std::max(top, scores[c]);
      }
      float total = 0.0f;
      for (int64_t c = 0; c < t; ++c) {
        if (!visible[c]) continue;
        scores[c] = std::exp(scores[c] - top);
        total += scores[c];
      }
      float* o = op + (r * h + head) * d;
      for (int64_t c = 0; c < t; ++c) {
        if (visible[c]) vec.axpy(o, scores[c] / total, vb + c * vs2, d);
      }
    }
  });
  return out;
}

at::Tensor SmallLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const Isa isa = CurrentIsa();
  if (isa == Isa::kNone) return {};
  if (!x.device().is_cpu() || x.scalar_type() != at::kFloat || weight.scalar_type() != at::kFloat ||
      weight.dim() != 2 || !weight.is_contiguous() || x.dim() < 1 || x.size(-1) != weight.size(1)) {
    return {};
  }
  if (bias.defined() && (bias.scalar_type() != at::kFloat || !bias.is_contiguous() || bias.dim() != 1 ||
                         bias.size(0) != weight.size(0))) {
    return {};
  }
  const int64_t k = weight.size(1), n = weight.size(0);
  if (k == 0 || n == 0) return {};
  const int64_t m = x.numel() / k;
  // More rows with AVX-512 while the input fits in L2 next to the weight tile: each 4-row weight tile
  // is then read once from memory and multiplied by every input row from cache (short prefills; measured
  // 3x faster than this machine's OpenBLAS at 256 x 512 x 1408). Larger inputs go to BLAS.
  const bool fits_l2 = isa == Isa::kAvx512 && m * k * static_cast<int64_t>(sizeof(float)) <= kSmallLinearL2Bytes;
  if (m == 0 || (m > kSmallLinearMaxRows && !fits_l2)) return {};
  if (c10::GradMode::is_enabled() &&
      (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()))) {
    return {};
  }
  const at::Tensor xc = x.contiguous();
  std::vector<int64_t> sizes(x.sizes().begin(), x.sizes().end());
  sizes.back() = n;
  at::Tensor y = at::empty(sizes, x.options());
  const Problem p{xc.data_ptr<float>(), weight.data_ptr<float>(), bias.defined() ? bias.data_ptr<float>() : nullptr,
                  y.data_ptr<float>(), m, k, n};
  // Chunks of at least ~64k multiply-adds, in whole tiles, so small layers stay on one thread.
  const int64_t tiles = (n + kTileN - 1) / kTileN;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / (kTileN * k * m));
  at::parallel_for(0, tiles, grain, [&](int64_t begin, int64_t end) {
    const int64_t n_begin = begin * kTileN, n_end = std::min(n, end * kTileN);
#if DEEPER_X86_KERNELS
    if (isa == Isa::kAvx512) {
      Run512(p, n_begin, n_end);
    } else {
      Run256(p, n_begin, n_end);
    }
#else
    (void)n_begin;
    (void)n_end;
#endif
  });
  return y;
}

}  // namespace cpu
}  // namespace deeper
