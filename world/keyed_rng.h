// A counter-based random generator for the simulated world.
//
// Every random choice of the world is drawn from a stream named by a key (seed, user, window, purpose,
// ...), so one choice never shifts another: more eval users do not change the train users, a new noise
// level does not change the items. The output is plain 64-bit integer arithmetic, identical on every
// platform and standard library (std:: distributions are not: their algorithms are unspecified).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace deeper::world {

// SplitMix64's finaliser: a bijective 64-bit mix.
uint64_t Mix64(uint64_t x);

// A key from parts: order matters, each part is mixed in turn.
uint64_t HashKey(std::initializer_list<uint64_t> parts);

// FNV-1a of a string, mixed, for keys that name things (user ids, purposes).
uint64_t HashText(std::string_view text);

class KeyedRng {
 public:
  explicit KeyedRng(uint64_t key) : key_(Mix64(key)) {}
  KeyedRng(std::initializer_list<uint64_t> parts) : KeyedRng(HashKey(parts)) {}

  // The next 64 random bits: the mixed (key, counter) pair.
  uint64_t Next();
  // Uniform in [0, 1) with 53 bits.
  double Uniform();
  // Uniform in [0, n); n > 0. Multiply-shift, so no modulo bias worth speaking of.
  int UniformInt(int n);
  // Uniform in [lo, hi] (inclusive).
  int UniformRange(int lo, int hi);
  // True with probability p.
  bool Bernoulli(double p);
  // Approximately standard normal: the sum of 12 uniforms minus 6 (Irwin-Hall). Only additions, so
  // the value is the same everywhere, unlike Box-Muller's log/cos; tails are cut at +-6.
  double Normal();

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace deeper::world
