#!/usr/bin/env python3
"""The memory budget of a LoRA DPO step (docs/memory.md) for a checkpoint and a batch shape.

  memory_budget.py --model DIR --tokens T --completion C [--lora_rank 16] [--micro_batches 0]
                   [--checkpointing 0|1]
  memory_budget.py --like llama-3.1-8b --tokens 16384 --completion 8192 --micro_batches 8 --checkpointing 1

T = tokens of one micro-batch (2 x pairs x padded pair length), C = its completion tokens, micro_batches = m
of the exact gradient sum (0: no exact sum, as in tools/train/bench_dpo). Prints `key=value` lines: the
parameter count, then GiB per term of docs/memory.md and their total: the tensors libtorch's allocator holds at the peak of the
step (what torch.cuda.max_memory_allocated reports), without the CUDA context or cached free blocks.
"""
import argparse
import glob
import json
import struct

GIB = 2**30
PROJECTIONS = ("q", "k", "v", "o", "gate", "up", "down")


def shape_of(args):
    if args.like == "llama-3.1-8b":
        cfg = dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                   num_key_value_heads=8, head_dim=128, vocab_size=128256)
        return cfg, 8_030_261_248
    with open(args.model + "/config.json") as f:
        cfg = json.load(f)
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    params = 0
    for path in glob.glob(args.model + "/*.safetensors"):
        with open(path, "rb") as f:
            header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        for name, entry in header.items():
            if name != "__metadata__":
                count = 1
                for d in entry["shape"]:
                    count *= d
                params += count
    return cfg, params


def lora_params(cfg, rank):
    h, i, d = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q_out, kv_out = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    in_out = {"q": (h, q_out), "k": (h, kv_out), "v": (h, kv_out), "o": (q_out, h),
              "gate": (h, i), "up": (h, i), "down": (i, h)}
    return cfg["num_hidden_layers"] * rank * sum(sum(in_out[p]) for p in PROJECTIONS)


def budget(cfg, params, args):
    h, i, layers, vocab = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    adapters = lora_params(cfg, args.lora_rank)
    per_token_layer = 50 * h + 11 * i  # `a` of docs/memory.md
    terms = {
        "base_weights": 2 * params,
        "lora_weights_grads_adamw": 16 * adapters,
        "exact_gradient_sum": (4 * adapters * args.micro_batches + 8 * adapters) if args.micro_batches else 0,
        "lm_head": 2 * 4 * args.completion * vocab,
    }
    if args.checkpointing:
        terms["activations_checkpointed"] = args.tokens * layers * 2 * h + args.tokens * per_token_layer
    else:
        terms["activations_stored"] = args.tokens * layers * per_token_layer
    return terms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint directory (config.json, *.safetensors)")
    ap.add_argument("--like", choices=["llama-3.1-8b"], help="a known shape instead of --model")
    ap.add_argument("--tokens", type=int, required=True)
    ap.add_argument("--completion", type=int, required=True)
    ap.add_argument("--lora_rank", type=int, default=16)
    ap.add_argument("--micro_batches", type=int, default=0)
    ap.add_argument("--checkpointing", type=int, default=0, choices=[0, 1])
    args = ap.parse_args()
    if not args.model and not args.like:
        ap.error("--model or --like is required")
    cfg, params = shape_of(args)
    print(f"params={params}")
    terms = budget(cfg, params, args)
    for name, size in terms.items():
        print(f"{name}_gib={size / GIB:.2f}")
    print(f"total_gib={sum(terms.values()) / GIB:.2f}")


if __name__ == "__main__":
    main()
