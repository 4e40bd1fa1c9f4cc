#include "stages/context_building/string_index.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace deeper {
namespace {

uint64_t Mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return x;
}

// The first min(8, size) bytes of `key`, zero-padded.
uint64_t Head(std::string_view key) {
  uint64_t head = 0;
  std::memcpy(&head, key.data(), std::min<size_t>(8, key.size()));
  return head;
}

uint32_t Tag(uint64_t hash, size_t length) {
  return (static_cast<uint32_t>(hash >> 32) & ~0xFFu) | static_cast<uint32_t>(std::min<size_t>(length, 255));
}

}  // namespace

uint64_t HashString(std::string_view text) {
  const char* p = text.data();
  size_t n = text.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n > 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ Mix(word)) * 0xbf58476d1ce4e5b9ull;
    p += 8;
    n -= 8;
  }
  uint64_t word = 0;
  std::memcpy(&word, p, n);
  return Mix(h ^ word);
}

StringIndex::StringIndex() : slots_(64, Slot{0, 0, kEmpty}), offsets_{0} {}

size_t StringIndex::Probe(std::string_view key, uint64_t hash, uint64_t head, uint32_t tag) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.index == kEmpty) return i;
    if (slot.tag != tag || slot.head != head) continue;
    if (key.size() <= 8) return i;  // The tag holds the exact length below 255.
    const uint64_t begin = offsets_[slot.index];
    if (offsets_[slot.index + 1] - begin == key.size() &&
        std::memcmp(arena_.data() + begin + 8, key.data() + 8, key.size() - 8) == 0) {
      return i;
    }
  }
}

uint32_t StringIndex::Insert(std::string_view key, bool* inserted) { return Insert(key, HashString(key), inserted); }

uint32_t StringIndex::Insert(std::string_view key, uint64_t hash, bool* inserted) {
  const uint64_t head = Head(key);
  const uint32_t tag = Tag(hash, key.size());
  const size_t i = Probe(key, hash, head, tag);
  if (slots_[i].index != kEmpty) {
    if (inserted != nullptr) *inserted = false;
    return slots_[i].index;
  }
  const auto index = static_cast<uint32_t>(size());
  arena_.append(key.data(), key.size());
  offsets_.push_back(arena_.size());
  slots_[i] = Slot{head, tag, index};
  if (inserted != nullptr) *inserted = true;
  if (2 * size() > slots_.size()) Grow();
  return index;
}

int64_t StringIndex::Find(std::string_view key) const { return Find(key, HashString(key)); }

int64_t StringIndex::Find(std::string_view key, uint64_t hash) const {
  const Slot& slot = slots_[Probe(key, hash, Head(key), Tag(hash, key.size()))];
  return slot.index == kEmpty ? -1 : static_cast<int64_t>(slot.index);
}

void StringIndex::Grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, 0, kEmpty});
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.index == kEmpty) continue;
    size_t i = HashString(key(slot.index)) & mask;
    while (slots_[i].index != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace deeper
