#include "model/tokenizer/bpe.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "model/tokenizer/byte_level.h"

namespace deeper::tokenizer {
namespace {

size_t NextPowerOfTwo(size_t n) {
  size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}

uint64_t HashBytes(std::string_view s) {
  // FNV-1a over 8-byte words with a final mix: cheap for the short keys BPE looks up.
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

std::atomic<uint64_t> g_next_serial{1};

// Word -> ids of one model, private to one thread, so lookups take no lock. HF keeps a similar
// bounded cache; this one is emptied when full, which costs little since hot words come back.
class WordCache {
 public:
  bool Find(uint64_t hash, std::string_view word, std::vector<int32_t>* out) const {
    if (slots_.empty()) return false;
    for (size_t i = hash & kMask;; i = (i + 1) & kMask) {
      const Slot& s = slots_[i];
      if (s.hash == 0) return false;
      if (s.hash == hash && s.key_len == word.size() &&
          std::memcmp(keys_.data() + s.key_offset, word.data(), word.size()) == 0) {
        out->insert(out->end(), ids_.begin() + s.ids_offset, ids_.begin() + s.ids_offset + s.ids_len);
        return true;
      }
    }
  }

  void Insert(uint64_t hash, std::string_view word, const int32_t* ids, size_t n) {
    if (slots_.empty()) slots_.assign(kSlots, Slot{});
    if (count_ >= kMaxWords) Clear();
    size_t i = hash & kMask;
    while (slots_[i].hash != 0) i = (i + 1) & kMask;
    slots_[i] = {hash, static_cast<uint32_t>(keys_.size()), static_cast<uint16_t>(word.size()),
                 static_cast<uint16_t>(n), static_cast<uint32_t>(ids_.size())};
    keys_.append(word);
    ids_.insert(ids_.end(), ids, ids + n);
    ++count_;
  }

  void Clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    keys_.clear();
    ids_.clear();
    count_ = 0;
  }

  static constexpr size_t kMaxWordBytes = 64;

 private:
  static constexpr size_t kSlots = size_t{1} << 15;
  static constexpr size_t kMask = kSlots - 1;
  static constexpr size_t kMaxWords = kSlots / 2;
  struct Slot {
    uint64_t hash = 0;  // 0: empty (stored hashes are never 0)
    uint32_t key_offset = 0;
    uint16_t key_len = 0;
    uint16_t ids_len = 0;
    uint32_t ids_offset = 0;
  };
  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<int32_t> ids_;
  size_t count_ = 0;
};

// The word caches of the calling thread, for the few models it used last.
WordCache& ThreadWordCache(uint64_t serial) {
  struct Entry {
    uint64_t serial = 0;
    uint64_t last_use = 0;
    WordCache cache;
  };
  thread_local std::array<Entry, 4> entries;
  thread_local uint64_t clock = 0;
  ++clock;
  Entry* victim = &entries[0];
  for (Entry& e : entries) {
    if (e.serial == serial) {
      e.last_use = clock;
      return e.cache;
    }
    if (e.last_use < victim->last_use) victim = &e;
  }
  victim->serial = serial;
  victim->last_use = clock;
  victim->cache.Clear();
  return victim->cache;
}

}  // namespace

// ---- StringIdMap ----

uint64_t StringIdMap::Hash(std::string_view key) { return HashBytes(key) | 1; }

void StringIdMap::Reserve(size_t count) {
  if (slots_.size() < count * 2) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(NextPowerOfTwo(count * 2), Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
}

void StringIdMap::Grow() { Reserve(std::max<size_t>(size_ * 2, 16)); }

void StringIdMap::Insert(std::string_view key, int32_t id) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const uint64_t h = Hash(key);
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.id < 0) {
      s.hash = h;
      s.offset = static_cast<uint32_t>(arena_.size());
      s.length = static_cast<uint32_t>(key.size());
      s.id = id;
      arena_.append(key);
      ++size_;
      return;
    }
    if (s.hash == h && std::string_view(arena_).substr(s.offset, s.length) == key) {
      s.id = id;
      return;
    }
  }
}

int32_t StringIdMap::Find(std::string_view key, uint64_t h) const {
  if (slots_.empty()) return -1;
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return -1;
    if (s.hash == h && s.length == key.size() &&
        std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
      return s.id;
    }
  }
}

// ---- MergeMap ----

void MergeMap::Reserve(size_t count) {
  if (slots_.size() >= count * 2) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(NextPowerOfTwo(count * 2), Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.value.rank < 0) continue;
    size_t i = Hash(s.key) & mask;
    while (slots_[i].value.rank >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void MergeMap::Insert(int32_t left, int32_t right, Value value) {
  if ((size_ + 1) * 2 > slots_.size()) Reserve(std::max<size_t>(size_ * 2, 16));
  const uint64_t key = Key(left, right);
  size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.value.rank < 0) {
      s.key = key;
      s.value = value;
      ++size_;
      return;
    }
    if (s.key == key) {
      s.value = value;
      return;
    }
  }
}

// ---- BpeModel ----

BpeModel::BpeModel(const std::vector<VocabEntry>& vocab, const std::vector<MergeRule>& merges,
                   bool ignore_merges, const std::string& where)
    : ignore_merges_(ignore_merges), serial_(g_next_serial.fetch_add(1)) {
  byte_id_.fill(-1);
  vocab_.reserve(vocab.size());
  by_bytes_.Reserve(vocab.size());
  std::string bytes;
  for (const VocabEntry& entry : vocab) {
    vocab_[entry.text] = entry.id;
    // Entries with characters outside the byte-level alphabet can never come out of byte-level
    // input; they stay reachable by text (TokenId) and by id (decoding).
    if (ByteLevelToBytes(entry.text, &bytes)) {
      by_bytes_.Insert(bytes, entry.id);
      if (bytes.size() == 1) byte_id_[static_cast<unsigned char>(bytes[0])] = entry.id;
    }
  }
  merges_.Reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const MergeRule& m = merges[rank];
    auto left = vocab_.find(m.left);
    auto right = vocab_.find(m.right);
    auto merged = vocab_.find(m.left + m.right);
    DEEPER_REQUIRE(left != vocab_.end(), where, ": field \"model.merges[", rank, "]\": \"", m.left,
                   "\" is not in model.vocab");
    DEEPER_REQUIRE(right != vocab_.end(), where, ": field \"model.merges[", rank, "]\": \"", m.right,
                   "\" is not in model.vocab");
    DEEPER_REQUIRE(merged != vocab_.end(), where, ": field \"model.merges[", rank, "]\": the merged token \"",
                   m.left + m.right, "\" is not in model.vocab");
    merges_.Insert(left->second, right->second, {static_cast<int32_t>(rank), merged->second});
  }
}

BpeModel::~BpeModel() = default;

void BpeModel::EncodeWord(std::string_view bytes, std::vector<int32_t>* out) const {
  if (bytes.size() == 1) {
    int32_t id = byte_id_[static_cast<unsigned char>(bytes[0])];
    if (id >= 0) out->push_back(id);
    return;
  }
  const uint64_t hash = StringIdMap::Hash(bytes);
  // Llama-3: a whole pre-token that is a vocab entry is emitted as is, even when the merges would
  // have produced something else.
  if (ignore_merges_) {
    int32_t id = by_bytes_.Find(bytes, hash);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  if (bytes.size() > WordCache::kMaxWordBytes) {
    MergeWord(bytes, out);
    return;
  }
  WordCache& cache = ThreadWordCache(serial_);
  if (cache.Find(hash, bytes, out)) return;
  const size_t start = out->size();
  MergeWord(bytes, out);
  cache.Insert(hash, bytes, out->data() + start, out->size() - start);
}

// Repeatedly merges the adjacent pair of lowest rank, the leftmost one on ties (HF's order), using
// a heap of candidate pairs over a doubly linked list of symbols. Stale heap entries (a side
// already merged into something else) are recognised and dropped when popped.
void BpeModel::MergeWord(std::string_view bytes, std::vector<int32_t>* out) const {
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  struct Candidate {
    int32_t rank;
    int32_t pos;     // left symbol
    int32_t merged;  // expected result, to detect stale entries
    // std heap functions build a max-heap; invert so that the lowest (rank, pos) comes first.
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::vector<Candidate> heap;
  symbols.clear();
  heap.clear();

  for (unsigned char b : bytes) {
    int32_t id = byte_id_[b];
    // A byte missing from the vocab is dropped, as HF does when there is no unk token.
    if (id < 0) continue;
    int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, index + 1, true});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  auto push_pair = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0) return;
    if (const MergeMap::Value* v = merges_.Find(symbols[pos].id, symbols[next].id)) {
      heap.push_back({v->rank, pos, v->merged});
      std::push_heap(heap.begin(), heap.end());
    }
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) push_pair(i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const MergeMap::Value* v = merges_.Find(left.id, right.id);
    if (v == nullptr || v->merged != top.merged || v->rank != top.rank) continue;
    left.id = top.merged;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) out->push_back(symbols[i].id);
}

}  // namespace deeper::tokenizer
