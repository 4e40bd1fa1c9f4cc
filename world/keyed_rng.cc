#include "world/keyed_rng.h"

#include <cstdint>

namespace deeper::world {

uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t HashKey(std::initializer_list<uint64_t> parts) {
  uint64_t h = 0x6A09E667F3BCC908ULL;
  for (uint64_t part : parts) h = Mix64(h ^ Mix64(part));
  return h;
}

uint64_t HashText(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return Mix64(h);
}

uint64_t KeyedRng::Next() { return Mix64(key_ ^ Mix64(++counter_)); }

double KeyedRng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

int KeyedRng::UniformInt(int n) {
  const unsigned __int128 product = static_cast<unsigned __int128>(Next()) * static_cast<uint64_t>(n);
  return static_cast<int>(product >> 64);
}

int KeyedRng::UniformRange(int lo, int hi) { return lo + UniformInt(hi - lo + 1); }

bool KeyedRng::Bernoulli(double p) { return Uniform() < p; }

double KeyedRng::Normal() {
  double sum = 0.0;
  for (int i = 0; i < 12; ++i) sum += Uniform();
  return sum - 6.0;
}

}  // namespace deeper::world
