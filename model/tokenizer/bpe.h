// Byte-level BPE: the vocabulary, the ranked merges and the merge loop, with a word cache.
//
// Words are handled as raw bytes rather than as byte-level text: vocab entries are converted once
// at load time, so encoding never builds the U+0100.. strings HF works with.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace deeper::tokenizer {

// Open-addressing map from byte strings to ids; keys live in one arena.
class StringIdMap {
 public:
  void Reserve(size_t count);
  // Inserts or overwrites.
  void Insert(std::string_view key, int32_t id);
  // -1 when absent.
  int32_t Find(std::string_view key) const { return Find(key, Hash(key)); }
  // Same with the key's Hash() already computed.
  int32_t Find(std::string_view key, uint64_t hash) const;
  size_t size() const { return size_; }
  static uint64_t Hash(std::string_view key);

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty
  };
  void Grow();
  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

// Open-addressing map from a pair of token ids to (rank, merged id).
class MergeMap {
 public:
  struct Value {
    int32_t rank;
    int32_t merged;
  };
  void Reserve(size_t count);
  // Later insertions of the same pair win, as when HF collects merges into a hash map.
  void Insert(int32_t left, int32_t right, Value value);
  // nullptr when the pair does not merge.
  const Value* Find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    const uint64_t key = Key(left, right);
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value.rank < 0) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    Value value{-1, -1};  // rank -1: empty
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  static uint64_t Hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return key;
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// One vocab entry as tokenizer.json writes it (byte-level text) with its id.
struct VocabEntry {
  std::string text;
  int32_t id;
};

// One merge, already split into its two parts.
struct MergeRule {
  std::string left;
  std::string right;
};

class BpeModel {
 public:
  // Validates and indexes the model. `where` prefixes error messages (file and field).
  // Like HF, a merge whose parts or result are not in the vocab is an error.
  BpeModel(const std::vector<VocabEntry>& vocab, const std::vector<MergeRule>& merges, bool ignore_merges,
           const std::string& where);
  ~BpeModel();

  // Appends the ids of one pre-token (raw bytes, non-empty).
  void EncodeWord(std::string_view bytes, std::vector<int32_t>* out) const;

  // -1 when the byte string is not a vocab entry.
  int32_t FindBytes(std::string_view bytes) const { return by_bytes_.Find(bytes); }
  // The vocab entries (byte-level text -> id), for lookups by token text.
  const std::unordered_map<std::string, int32_t>& vocab() const { return vocab_; }

 private:
  void MergeWord(std::string_view bytes, std::vector<int32_t>* out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  StringIdMap by_bytes_;              // raw bytes of every vocab entry representable as bytes
  std::array<int32_t, 256> byte_id_;  // id of each single byte, -1 when the vocab lacks it
  MergeMap merges_;
  bool ignore_merges_;
  // Identifies this model to the per-thread word caches (see bpe.cc); never reused.
  uint64_t serial_;
};

}  // namespace deeper::tokenizer
