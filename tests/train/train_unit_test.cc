// Torch-free parts of train/: truncation, ordering and batching, schedules, pair files, configs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "train/batching.h"
#include "train/lr_schedule.h"
#include "train/pairs.h"
#include "train/pairs_json.h"
#include "train/pairs_tokenize.h"
#include "train/train_config.h"

namespace deeper {
namespace {

namespace fs = std::filesystem;

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("train_unit_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    deeper::TryRemoveTree(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { deeper::TryRemoveTree(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST(Truncation, PromptFromTheLeftCompletionsFromTheRight) {
  PreferencePair pair{Range(0, 10), Range(100, 108), Range(200, 204), std::nullopt, std::nullopt};
  // Fits: unchanged.
  EXPECT_EQ(TruncatePair(pair, {18, 0}).prompt_ids, pair.prompt_ids);
  // 10 + 8 > 16: the prompt gives 2 tokens from its start.
  PreferencePair t = TruncatePair(pair, {16, 4});
  EXPECT_EQ(t.prompt_ids, Range(2, 10));
  EXPECT_EQ(t.chosen_ids, Range(100, 108));
  // Prompt capped at max_prompt_len 4, then the completions lose their ends.
  t = TruncatePair(pair, {10, 4});
  EXPECT_EQ(t.prompt_ids, Range(6, 10));
  EXPECT_EQ(t.chosen_ids, Range(100, 106));
  EXPECT_EQ(t.rejected_ids, Range(200, 204));
  EXPECT_THROW(TruncatePair(pair, {10, 10}), Error);
}

TEST(Ordering, PermutationsAreDeterministicAndKeyed) {
  const auto a = Permutation(100, 7);
  EXPECT_EQ(a, Permutation(100, 7));
  EXPECT_NE(a, Permutation(100, 8));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 100u);
  const std::vector<int64_t> train = Range(0, 50);
  EXPECT_NE(EpochOrder(train, 1, 0), EpochOrder(train, 1, 1));
  EXPECT_EQ(EpochOrder(train, 1, 3), EpochOrder(train, 1, 3));
}

TEST(Ordering, SplitHoldsOutTheFraction) {
  const Split split = SplitPairs(100, 0.1, 42);
  EXPECT_EQ(split.val.size(), 10u);
  EXPECT_EQ(split.train.size(), 90u);
  std::set<int64_t> all(split.train.begin(), split.train.end());
  all.insert(split.val.begin(), split.val.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_TRUE(SplitPairs(100, 0.0, 42).val.empty());
  EXPECT_THROW(SplitPairs(10, 1.0, 1), Error);
}

TEST(Ordering, RankSharesAreContiguousAndCoverEveryMicroBatchOnce) {
  for (int64_t n : {0, 1, 2, 5, 8}) {
    for (int world : {1, 2, 3, 4}) {
      int64_t next = 0;
      for (int rank = 0; rank < world; ++rank) {
        const UnitRange share = RankShare(n, rank, world);
        EXPECT_EQ(share.begin, next) << n << " micro-batches, rank " << rank << " of " << world;
        EXPECT_LE(share.end - share.begin, (n + world - 1) / world);
        next = share.end;
      }
      EXPECT_EQ(next, n) << n << " micro-batches over " << world << " ranks";
    }
  }
  EXPECT_THROW(RankShare(4, 2, 2), Error);
  EXPECT_THROW(RankShare(-1, 0, 1), Error);
}

TEST(Ordering, MicroBatchesRespectTheTokenBudget) {
  std::vector<PreferencePair> pairs(4);
  for (size_t i = 0; i < pairs.size(); ++i) {
    pairs[i].prompt_ids = Range(0, 4);
    pairs[i].chosen_ids = Range(0, i == 2 ? 12 : 4);
    pairs[i].rejected_ids = Range(0, 2);
  }
  // Lengths 8, 8, 16, 8. Budget 32 tokens = 2 pairs of 8, or 1 of 16.
  const auto batches = MicroBatches(pairs, {0, 1, 2, 3}, 32, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(batches[1], (std::vector<int64_t>{2}));
  EXPECT_EQ(batches[2], (std::vector<int64_t>{3}));
  EXPECT_EQ(MicroBatches(pairs, {0, 1, 2, 3}, 0, 3).size(), 2u);
  // A pair over the budget still goes (alone).
  EXPECT_EQ(MicroBatches(pairs, {2}, 8, 0).size(), 1u);
}

TEST(LrSchedule, WarmupThenCosineAsHuggingFace) {
  LrSchedule s;
  s.base_lr = 1.0;
  s.warmup_steps = 4;
  s.total_steps = 14;
  EXPECT_DOUBLE_EQ(s.At(0), 0.0);
  EXPECT_DOUBLE_EQ(s.At(2), 0.5);
  EXPECT_DOUBLE_EQ(s.At(4), 1.0);
  EXPECT_NEAR(s.At(9), 0.5, 1e-12);  // half-way through the decay
  EXPECT_NEAR(s.At(14), 0.0, 1e-12);
  s.kind = "linear";
  EXPECT_NEAR(s.At(9), 0.5, 1e-12);
  s.kind = "nope";
  EXPECT_THROW(ValidateLrSchedule(s), Error);
}

TEST_F(TempDirTest, PairShardRoundTripWithReferenceLogps) {
  PairSet set;
  set.pairs.push_back({{1, 2}, {3}, {4, 5}, -1.5, -2.25});
  set.pairs.push_back({{6}, {7, 8}, {9}, -0.5, -3.0});
  set.ref_info = RefLogpsInfo{"ref-model", 64, 16};
  WritePairShard(Path("p.h5"), set);
  const PairSet back = ReadPairShard(Path("p.h5"));
  ASSERT_EQ(back.pairs.size(), 2u);
  EXPECT_EQ(back.pairs[1].chosen_ids, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(*back.pairs[0].ref_rejected_logp, -2.25);
  ASSERT_TRUE(back.ref_info.has_value());
  EXPECT_EQ(back.ref_info->cutoff_len, 64);
  EXPECT_EQ(back.ref_info->reference, "ref-model");

  set.pairs[1].ref_chosen_logp.reset();
  EXPECT_THROW(WritePairShard(Path("q.h5"), set), Error);
  PairSet bad;
  bad.pairs.push_back({{1}, {}, {2}, std::nullopt, std::nullopt});
  WritePairShard(Path("bad.h5"), bad);
  try {
    ReadPairShard(Path("bad.h5"));
    FAIL() << "an empty completion must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 0: chosen_ids is empty"), std::string::npos) << e.what();
  }
}

TEST_F(TempDirTest, LlamaFactoryAlpacaAndShareGpt) {
  WriteFileAtomic(Path("alpaca.json"), R"([
    {"instruction": "Rate this.", "input": "Item A", "system": "Be brief.",
     "history": [["hi", "hello"]], "chosen": "5 stars", "rejected": "1 star"}])");
  WriteFileAtomic(Path("sharegpt.jsonl"),
                  R"({"conversations": [{"from": "human", "value": "q1"}], "chosen": {"from": "gpt", "value": "good"}, "rejected": {"from": "gpt", "value": "bad"}})"
                  "\n");
  WriteFileAtomic(Path("dataset_info.json"), R"({
    "a": {"file_name": "alpaca.json", "ranking": true,
          "columns": {"prompt": "instruction", "query": "input", "system": "system", "history": "history",
                      "chosen": "chosen", "rejected": "rejected"}},
    "s": {"file_name": "sharegpt.jsonl", "formatting": "sharegpt", "ranking": true,
          "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}},
    "sft": {"file_name": "alpaca.json"}})");
  auto a = ReadLlamaFactoryPairs(dir_.string(), "a");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].prompt.size(), 4u);
  EXPECT_EQ(a[0].prompt[0].role, "system");
  EXPECT_EQ(a[0].prompt[1].content, "hi");
  EXPECT_EQ(a[0].prompt[3].content, "Rate this.\nItem A");
  EXPECT_EQ(a[0].chosen, "5 stars");
  auto s = ReadLlamaFactoryPairs(dir_.string(), "s");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].prompt[0].role, "user");
  EXPECT_EQ(s[0].rejected, "bad");
  EXPECT_THROW(ReadLlamaFactoryPairs(dir_.string(), "sft"), Error);  // not a ranking dataset

  // Export, then import the export: the same pairs.
  fs::create_directories(dir_ / "out");
  WriteLlamaFactoryPairs(Path("out/pairs.json"), a, "mine");
  auto back = ReadLlamaFactoryPairs(Path("out"), "mine");
  ASSERT_EQ(back.size(), 1u);
  ASSERT_EQ(back[0].prompt.size(), a[0].prompt.size());
  for (size_t i = 0; i < a[0].prompt.size(); ++i) {
    EXPECT_EQ(back[0].prompt[i].role, a[0].prompt[i].role);
    EXPECT_EQ(back[0].prompt[i].content, a[0].prompt[i].content);
  }
  EXPECT_EQ(back[0].rejected, a[0].rejected);
  // A plain file without dataset_info: the format is guessed.
  EXPECT_EQ(ReadLlamaFactoryPairs(Path("sharegpt.jsonl")).size(), 1u);
}

TEST(LlamaFactory, BadRecordsNameTheRecord) {
  const PairDatasetFormat sharegpt = DefaultPairFormat("sharegpt");
  try {
    ParseLlamaFactoryPairs(R"([{"conversations": [{"from": "gpt", "value": "x"}], "chosen": "a", "rejected": "b"}])",
                           sharegpt, "f.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: record 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseLlamaFactoryPairs(R"([{"instruction": "x", "chosen": "a"}])", DefaultPairFormat("alpaca"), "f"),
               Error);
}

TEST(Tokenize, Llama3PairsEndWithEndOfTurn) {
  const Tokenizer tokenizer = Tokenizer::FromDirectory(std::string(DEEPER_TEST_DATA_DIR) + "/tokenizer/llama3");
  TextPreferencePair text{{{"user", "How good is item A?"}}, " Very good. ", "Bad."};
  const auto pairs = TokenizePairs({text}, tokenizer, "llama3");
  ASSERT_EQ(pairs.size(), 1u);
  const int64_t eot = tokenizer.TokenId("<|eot_id|>");
  EXPECT_EQ(pairs[0].chosen_ids.back(), eot);
  EXPECT_EQ(pairs[0].rejected_ids.back(), eot);
  // The prompt ends with the assistant header; the answer is trimmed as the template trims it.
  EXPECT_EQ(tokenizer.Decode({pairs[0].chosen_ids.begin(), pairs[0].chosen_ids.end() - 1}, false), "Very good.");
  const std::string prompt =
      tokenizer.Decode(std::vector<int32_t>(pairs[0].prompt_ids.begin(), pairs[0].prompt_ids.end()), false);
  EXPECT_NE(prompt.find("How good is item A?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
            std::string::npos)
      << prompt;
}

TEST(TrainConfigYaml, ParsesOverridesAndRefusesUnknownKeys) {
  TrainConfig c = ParseTrainConfig(
      "model_name_or_path: m\npairs: p.h5\noutput_dir: o\npref_beta: 0.2\npref_ftx: 0.1\n"
      "lora_target: q_proj, v_proj\nlearning_rate: 5.0e-6\nresume: true\n",
      "run.yaml");
  EXPECT_EQ(c.pref_beta, 0.2);
  EXPECT_EQ(c.lora_target, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_TRUE(c.resume);
  ApplyTrainOverride(&c, "lora_target=[k_proj]");
  EXPECT_EQ(c.lora_target, (std::vector<std::string>{"k_proj"}));
  ApplyTrainOverride(&c, "warmup_steps=250");
  EXPECT_EQ(c.warmup_steps, 250);
  ValidateTrainConfig(c);
  try {
    ParseTrainConfig("pref_bta: 0.1\n", "run.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("run.yaml: unknown key 'pref_bta'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseTrainConfig("pref_beta: abc\n", "run.yaml"), Error);
  // The JSON dump is valid YAML and round-trips.
  const TrainConfig back = ParseTrainConfig(TrainConfigToJson(c), "dump");
  EXPECT_EQ(TrainConfigToJson(back), TrainConfigToJson(c));
}

}  // namespace
}  // namespace deeper
