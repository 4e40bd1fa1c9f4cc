#include "apps/tool_flags.h"

DEFINE_string(model, "", "HF model directory (config.json + safetensors)");
DEFINE_string(adapter, "", "PEFT LoRA adapter directory applied on top of --model");
DEFINE_string(tokenizer, "", "directory with tokenizer.json (+ tokenizer_config.json)");
DEFINE_string(ids, "", "input safetensors with input_ids (I64 [B,T]) and optional attention_mask");
DEFINE_string(out, "", "output path");
DEFINE_string(jsonl, "", "JSONL input or output path, depending on the command");
DEFINE_int32(max_new_tokens, 32, "number of tokens to generate per row");
DEFINE_bool(greedy, false, "greedy decoding (argmax) instead of sampling");
DEFINE_double(temperature, 1.0, "sampling temperature");
DEFINE_double(top_p, 1.0, "nucleus sampling: keep the smallest set of tokens with this much probability");
DEFINE_int32(top_k, 0, "sample among the k most likely tokens (0 = all)");
DEFINE_uint64(seed, 0, "random seed");
DEFINE_string(like, "llama", "architecture of a new model: llama, qwen2 or qwen3");
DEFINE_string(set, "", "comma-separated key=value overrides");
DEFINE_string(dtype, "f32", "weight dtype: f32, f16 or bf16");
DEFINE_string(policy, "", "policy model directory");
DEFINE_string(ref, "", "reference model directory");
DEFINE_string(pairs, "", "preference pairs file");
DEFINE_double(beta, 0.1, "DPO beta");
DEFINE_string(deeper_csv, "", "DEEPER split CSV (id,item_type,split,dataset_name,source_url,windows_0..)");
DEFINE_string(deeper_jsonl, "", "directory with DEEPER round files test_iteration_K.jsonl");
DEFINE_string(ratings, "", "raw ratings log (CSV, TSV or JSONL)");
DEFINE_string(items, "", "item table (id -> name) for --ratings");
DEFINE_int32(round, 1, "round K: windows K-1, K, K+1");
DEFINE_int32(threads, 0, "intra-op threads for libtorch (0 = all cores)");
DEFINE_string(train_config, "", "dpo-train: YAML configuration (keys in train/README.md)");
DEFINE_bool(resume, false, "dpo-train: continue from the latest checkpoint in the output directory");
