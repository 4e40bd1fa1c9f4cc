// Dense numbering of strings (user ids, item ids): an open-addressing hash table that owns its keys.
// Much faster than std::unordered_map<std::string, ...> on tens of millions of short keys, because
// lookups do not allocate and probe a flat array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deeper {

class StringIndex {
 public:
  StringIndex();

  // The index of `key`; a new key gets the next index (0, 1, 2, ... in order of first insertion).
  uint32_t Insert(std::string_view key, bool* inserted = nullptr);
  // The index of `key`, or -1 when it was never inserted.
  int64_t Find(std::string_view key) const;

  // Batched lookups hide memory latency: hash a batch of keys, Prefetch their slots, then Insert or
  // Find each with its hash (which must be HashString(key)).
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]); }
  uint32_t Insert(std::string_view key, uint64_t hash, bool* inserted);
  int64_t Find(std::string_view key, uint64_t hash) const;
  std::string_view key(uint32_t index) const {
    return {arena_.data() + offsets_[index], offsets_[index + 1] - offsets_[index]};
  }
  size_t size() const { return offsets_.size() - 1; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  // 16 bytes, so that a probe touches one cache line. Keys of up to 8 bytes (most ids) are compared
  // within the slot, without touching the arena.
  struct Slot {
    uint64_t head;   // The key's first 8 bytes, zero-padded.
    uint32_t tag;    // High hash bits, with the key length (capped at 255) in the low 8 bits.
    uint32_t index;  // kEmpty: a free slot.
  };

  size_t Probe(std::string_view key, uint64_t hash, uint64_t head, uint32_t tag) const;
  void Grow();

  std::vector<Slot> slots_;        // A power-of-two size, at most half full.
  std::string arena_;              // All keys back to back.
  std::vector<uint64_t> offsets_;  // Key i is arena_[offsets_[i], offsets_[i + 1]).
};

// A fast non-cryptographic 64-bit hash of short strings.
uint64_t HashString(std::string_view text);

}  // namespace deeper
