// LoRA against PEFT goldens: adapter on / off / merged, PEFT file layout on save, fresh adapters.
#include "model/lora.h"

#include <c10/core/GradMode.h>
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "model/checkpoint.h"
#include "tests/model/test_util.h"

namespace deeper {
namespace {

using test::ModelData;

double MaxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }
void Report(const std::string& what, double diff) { std::cout << "[ max|diff| ] " << what << " " << diff << "\n"; }

class ModelLora : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = Transformer::Load(ModelData("tiny-llama"));
    golden_ = LoadSafetensors(ModelData("tiny-llama-lora/golden.safetensors"));
    ids_ = golden_["input_ids"];
  }
  std::unique_ptr<Transformer> model_;
  std::map<std::string, at::Tensor> golden_;
  at::Tensor ids_;
  c10::NoGradGuard no_grad_;
};

TEST_F(ModelLora, AdapterOnOffAndMergedMatchPeft) {
  LoraConfig config = LoadLoraAdapter(*model_, ModelData("tiny-llama-lora"));
  EXPECT_EQ(config.r, 4);
  EXPECT_DOUBLE_EQ(config.scaling(), 2.0);
  EXPECT_EQ(config.target_modules.size(), 7u);
  double diff = MaxDiff(model_->Forward(ids_), golden_["logits_with_adapter"]);
  Report("lora with adapter", diff);
  EXPECT_LT(diff, 1e-4);
  {
    LoraDisabledScope off(*model_);
    diff = MaxDiff(model_->Forward(ids_), golden_["logits_adapter_off"]);
    Report("lora adapter off", diff);
    EXPECT_LT(diff, 1e-4);
  }
  EXPECT_TRUE(model_->lora_enabled());
  MergeLora(*model_);
  EXPECT_FALSE(HasLora(*model_));
  diff = MaxDiff(model_->Forward(ids_), golden_["logits_merged"]);
  Report("lora merged", diff);
  EXPECT_LT(diff, 1e-4);
}

TEST_F(ModelLora, SavedAdapterHasPeftLayoutAndReloads) {
  const LoraConfig config = LoadLoraAdapter(*model_, ModelData("tiny-llama-lora"));
  const at::Tensor with_adapter = model_->Forward(ids_);
  test::TempDir dir("lora");
  SaveLoraAdapter(*model_, config, dir.path());

  // Tensor names, shapes and dtypes exactly as PEFT wrote them.
  SafetensorsFile ours = SafetensorsFile::Open(dir / "adapter_model.safetensors");
  SafetensorsFile peft = SafetensorsFile::Open(ModelData("tiny-llama-lora/adapter_model.safetensors"));
  ASSERT_EQ(ours.tensors().size(), peft.tensors().size());
  for (const auto& info : peft.tensors()) {
    const StTensorInfo* mine = ours.Find(info.name);
    ASSERT_NE(mine, nullptr) << info.name;
    EXPECT_EQ(mine->shape, info.shape) << info.name;
    EXPECT_EQ(mine->dtype, info.dtype) << info.name;
  }
  EXPECT_EQ(ours.metadata().at("format"), "pt");

  const auto j = nlohmann::json::parse(ReadFile(dir / "adapter_config.json"));
  for (const char* key : {"r", "lora_alpha", "lora_dropout", "target_modules", "base_model_name_or_path", "peft_type",
                          "task_type", "bias", "fan_in_fan_out", "use_rslora", "use_dora", "modules_to_save"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["peft_type"], "LORA");
  EXPECT_EQ(j["task_type"], "CAUSAL_LM");
  EXPECT_EQ(j["r"], 4);
  EXPECT_EQ(j["lora_alpha"], 8);
  EXPECT_EQ(j["bias"], "none");
  EXPECT_EQ(j["base_model_name_or_path"], "tiny-llama");

  auto fresh = Transformer::Load(ModelData("tiny-llama"));
  LoadLoraAdapter(*fresh, dir.path());
  EXPECT_TRUE(fresh->Forward(ids_).equal(with_adapter));
}

TEST_F(ModelLora, FreshAdapterStartsAsIdentityAndTrainsAlone) {
  at::Tensor base = model_->Forward(ids_);
  LoraConfig config;
  config.r = 2;
  config.alpha = 4;
  config.target_modules = {"q_proj", "v_proj", "down_proj"};
  AttachLora(*model_, config, /*seed=*/7);
  EXPECT_EQ(model_->NamedParameters(ParamSet::kLora).size(), 2u * 3u * 2u);  // 2 layers x 3 modules x {A,B}
  EXPECT_TRUE(model_->Forward(ids_).equal(base)) << "B = 0: the adapter changes nothing at first";
  EXPECT_THROW(AttachLora(*model_, config, 7), Error);

  c10::GradMode::set_enabled(true);
  model_->SetRequiresGrad(false);
  at::Tensor loss = model_->Forward(ids_).logsumexp(-1).mean();
  loss.backward();
  for (const auto& [name, p] : model_->NamedParameters(ParamSet::kLora)) {
    ASSERT_TRUE(p.grad().defined()) << name;
    if (name.find("lora_B") != std::string::npos) EXPECT_GT(p.grad().abs().max().item<double>(), 0) << name;
  }
  for (const auto& [name, p] : model_->NamedParameters(ParamSet::kBase)) EXPECT_FALSE(p.grad().defined()) << name;
  c10::GradMode::set_enabled(false);
}

std::string AdapterError(Transformer& model, const std::string& dir) {
  try {
    LoadLoraAdapter(model, dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(ModelLora, BadAdaptersAreRefusedClearly) {
  test::TempDir dir("lora-bad");
  const std::string config = ReadFile(ModelData("tiny-llama-lora/adapter_config.json"));
  auto tensors = LoadSafetensors(ModelData("tiny-llama-lora/adapter_model.safetensors"));

  auto j = nlohmann::json::parse(config);
  j["use_dora"] = true;
  WriteFileAtomic(dir / "adapter_config.json", j.dump());
  SaveSafetensors(dir / "adapter_model.safetensors", tensors);
  EXPECT_NE(AdapterError(*model_, dir.path()).find("'use_dora' = true is not supported"), std::string::npos);

  WriteFileAtomic(dir / "adapter_config.json", config);
  const std::string gone = "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight";
  auto missing = tensors;
  missing.erase(gone);
  SaveSafetensors(dir / "adapter_model.safetensors", missing);
  std::string message = AdapterError(*model_, dir.path());
  EXPECT_NE(message.find("tensor '" + gone + "' is missing"), std::string::npos) << message;
  EXPECT_FALSE(HasLora(*model_)) << "a failed load leaves no adapter behind";

  auto extra = tensors;
  extra["base_model.model.lm_head.lora_A.weight"] = at::zeros({4, 64});
  SaveSafetensors(dir / "adapter_model.safetensors", extra);
  message = AdapterError(*model_, dir.path());
  EXPECT_NE(message.find("unexpected tensor 'base_model.model.lm_head.lora_A.weight'"), std::string::npos) << message;

  j = nlohmann::json::parse(config);
  j["r"] = 8;
  WriteFileAtomic(dir / "adapter_config.json", j.dump());
  SaveSafetensors(dir / "adapter_model.safetensors", tensors);
  message = AdapterError(*model_, dir.path());
  EXPECT_NE(message.find("has shape [4, 64], expected [8, 64]"), std::string::npos) << message;
}

}  // namespace
}  // namespace deeper
