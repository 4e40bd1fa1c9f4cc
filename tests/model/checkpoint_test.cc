// at::Tensor <-> safetensors round trips and whole-model save / reload (single file and sharded).
#include "model/checkpoint.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "common/files.h"
#include "model/hf_config.h"
#include "model/transformer.h"
#include "tests/model/test_util.h"

namespace deeper {
namespace {

TEST(ModelCheckpoint, TensorRoundTripAllDtypes) {
  test::TempDir dir("tensors");
  std::map<std::string, at::Tensor> tensors = {
      {"f32", at::randn({3, 4})},
      {"f16", at::randn({5}).to(at::kHalf)},
      {"bf16", at::randn({2, 2}).to(at::kBFloat16)},
      {"i64", at::arange(-3, 3, at::kLong)},
      {"i32", at::arange(0, 7, at::kInt)},
      {"u8", at::arange(0, 255, at::kByte)},
      {"bool", at::tensor({1, 0, 1}, at::kLong).ne(0)},
      {"scalar", at::scalar_tensor(2.5)},
      {"strided", at::randn({4, 6}).t()},
  };
  SaveSafetensors(dir / "t.safetensors", tensors, {{"format", "pt"}, {"note", "x"}});
  const auto back = LoadSafetensors(dir / "t.safetensors");
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(back.count(name)) << name;
    EXPECT_EQ(back.at(name).scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(back.at(name).equal(t)) << name;
  }
  EXPECT_EQ(SafetensorsFile::Open(dir / "t.safetensors").metadata().at("note"), "x");
}

TEST(ModelCheckpoint, SaveAndReloadModelSingleAndSharded) {
  c10::NoGradGuard no_grad;
  ModelConfig config = ConfigLike("qwen3");
  ApplyConfigOverrides(&config, "vocab_size=96,hidden_size=32,intermediate_size=48,num_hidden_layers=2,"
                                "num_attention_heads=4,num_key_value_heads=2,head_dim=16");
  auto model = Transformer::RandomInit(config, 5);
  auto again = Transformer::RandomInit(config, 5);
  const at::Tensor ids = at::arange(0, 12, at::kLong).view({2, 6});
  const at::Tensor logits = model->Forward(ids);
  EXPECT_TRUE(again->Forward(ids).equal(logits)) << "random init is deterministic per seed";

  test::TempDir dir("model");
  model->Save(dir / "single");
  EXPECT_TRUE(FileExists(dir / "single/model.safetensors"));
  EXPECT_TRUE(Transformer::Load(dir / "single")->Forward(ids).equal(logits));

  // Sharded: small shards through the same writer, read back through the index.
  std::filesystem::create_directories(dir / "sharded");
  SaveCheckpointWeights(dir / "sharded", model->NamedParameters(), /*max_shard_bytes=*/20000);
  SaveModelConfig(model->config(), dir / "sharded/config.json");
  EXPECT_TRUE(FileExists(dir / "sharded/model.safetensors.index.json"));
  EXPECT_FALSE(FileExists(dir / "sharded/model.safetensors"));
  CheckpointReader reader(dir / "sharded");
  EXPECT_EQ(reader.Names().size(), model->NamedParameters().size());
  EXPECT_TRUE(Transformer::Load(dir / "sharded")->Forward(ids).equal(logits));

  // bf16 on disk; config.json says so.
  model->Save(dir / "bf16", at::kBFloat16);
  EXPECT_EQ(LoadModelConfig(dir / "bf16").torch_dtype, "bfloat16");
  EXPECT_EQ(CheckpointReader(dir / "bf16").Info("model.norm.weight").dtype, StDtype::kBF16);
  const double diff = (Transformer::Load(dir / "bf16")->Forward(ids) - logits).abs().max().item<double>();
  EXPECT_LT(diff, 0.1);
}

}  // namespace
}  // namespace deeper
