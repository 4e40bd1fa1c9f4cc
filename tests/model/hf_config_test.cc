// config.json parsing (llama / qwen2 / qwen3, both rope layouts), refusals and the writer.
#include "model/hf_config.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/model/test_util.h"

namespace deeper {
namespace {

std::string ErrorOf(const std::string& json) {
  try {
    ParseModelConfig(json, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const char* kBase = R"({"model_type":"llama","vocab_size":32,"hidden_size":16,"intermediate_size":32,
  "num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2)";

TEST(ModelConfig, ParsesLlamaWithLlama3Rope) {
  ModelConfig c = LoadModelConfig(test::ModelData("tiny-llama"));
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.rope_scaling.llama3);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 8.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 32);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
}

TEST(ModelConfig, ParsesQwen2AndQwen3) {
  ModelConfig q2 = LoadModelConfig(test::ModelData("tiny-qwen2/config.json"));
  EXPECT_TRUE(q2.qkv_bias);
  EXPECT_FALSE(q2.o_bias);
  EXPECT_TRUE(q2.tie_word_embeddings);
  EXPECT_EQ(q2.torch_dtype, "bfloat16");
  EXPECT_FALSE(q2.rope_scaling.llama3);
  ModelConfig q3 = LoadModelConfig(test::ModelData("tiny-qwen3"));
  EXPECT_TRUE(q3.qk_norm);
  EXPECT_EQ(q3.head_dim, 32);  // Not hidden / heads = 16.
  EXPECT_FALSE(q3.qkv_bias);
}

TEST(ModelConfig, AcceptsRopeParameters) {
  ModelConfig c = ParseModelConfig(std::string(kBase) + R"(,"rope_parameters":{"rope_type":"llama3","rope_theta":5e5,
      "factor":32,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}})",
                                   "cfg.json");
  EXPECT_DOUBLE_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.rope_scaling.llama3);
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 32.0);
  ModelConfig d = ParseModelConfig(std::string(kBase) + R"(,"rope_parameters":{"rope_type":"default","rope_theta":1e6}})",
                                   "cfg.json");
  EXPECT_DOUBLE_EQ(d.rope_theta, 1e6);
  EXPECT_FALSE(d.rope_scaling.llama3);
  ModelConfig e = ParseModelConfig(std::string(kBase) + R"(,"rope_scaling":null,"eos_token_id":[5,6]})", "cfg.json");
  EXPECT_FALSE(e.rope_scaling.llama3);
  EXPECT_EQ(e.eos_token_ids, (std::vector<int64_t>{5, 6}));
}

TEST(ModelConfig, RefusesWhatItCannotCompute) {
  const std::string base = kBase;
  EXPECT_NE(ErrorOf(R"({"model_type":"mistral"})").find("unsupported model_type 'mistral'"), std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"rope_scaling":{"rope_type":"yarn","factor":4}})").find("unsupported rope type 'yarn'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"rope_scaling":{"type":"dynamic","factor":2}})").find("unsupported rope type 'dynamic'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"use_sliding_window":true})").find("sliding-window"), std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"hidden_act":"gelu"})").find("hidden_act 'gelu'"), std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"layer_types":["sliding_attention"]})").find("layer_types"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"model_type":"llama","hidden_size":16})").find("missing required key 'vocab_size'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"num_key_value_heads":3})").find("not a multiple"), std::string::npos);
  EXPECT_NE(ErrorOf(base + R"(,"hidden_size":"16"})").find("'hidden_size' must be an integer"), std::string::npos);
  EXPECT_NE(ErrorOf("{nope").find("not valid JSON"), std::string::npos);
  EXPECT_EQ(ErrorOf(base + "}"), "");
  EXPECT_NE(ErrorOf(R"({"model_type":"mistral"})").find("cfg.json"), std::string::npos);
}

TEST(ModelConfig, WriterRoundTripsAndKeepsOtherKeys) {
  ModelConfig c = LoadModelConfig(test::ModelData("tiny-llama"));
  const std::string text = ModelConfigToJson(c);
  EXPECT_NE(text.find("\"architectures\""), std::string::npos);
  EXPECT_NE(text.find("\"max_position_embeddings\": 256"), std::string::npos);
  ModelConfig back = ParseModelConfig(text, "written");
  EXPECT_EQ(back.hidden_size, c.hidden_size);
  EXPECT_EQ(back.rope_scaling.original_max_position_embeddings, 32);
  EXPECT_DOUBLE_EQ(back.rope_theta, c.rope_theta);

  ModelConfig q = ConfigLike("qwen2");
  ApplyConfigOverrides(&q, "hidden_size=128,num_attention_heads=4,num_key_value_heads=2,num_hidden_layers=3");
  EXPECT_EQ(q.head_dim, 32);
  ModelConfig q2 = ParseModelConfig(ModelConfigToJson(q), "written");
  EXPECT_TRUE(q2.qkv_bias);
  EXPECT_TRUE(q2.tie_word_embeddings);
  EXPECT_EQ(q2.num_hidden_layers, 3);

  ModelConfig l = ConfigLike("llama");
  ApplyConfigOverrides(&l, "rope_scaling.factor=16,tie_word_embeddings=true");
  ModelConfig l2 = ParseModelConfig(ModelConfigToJson(l), "written");
  EXPECT_TRUE(l2.rope_scaling.llama3);
  EXPECT_DOUBLE_EQ(l2.rope_scaling.factor, 16.0);
  EXPECT_THROW(ApplyConfigOverrides(&l, "no_such_key=1"), Error);
  EXPECT_THROW(ApplyConfigOverrides(&l, "hidden_size=abc"), Error);
  EXPECT_THROW(ConfigLike("gpt2"), Error);
}

}  // namespace
}  // namespace deeper
