#!/usr/bin/env python3
"""What users would run instead, for the GPU benchmark of issue 7: HF transformers on the same checkpoint.

  hf_reference.py generate --model DIR [--batch 64] [--prompt 512] [--new 256] [--top_p 0.9]
                           [--temperature 1.0] [--runs 3] [--dtype bf16] [--device cuda]
      model.generate with sampling, every row forced to --new tokens (min_new_tokens), random prompt ids.
      Prints tokens_per_s (new tokens of all rows / median wall time), median_s, peak_gb.
  hf_reference.py score --model DIR [--personas 64] [--persona_len 200] [--items 30] [--item_len 30]
                        [--runs 3] [--dtype bf16] [--device cuda]
      One forward per (persona, item) sequence -- the items of one persona batched together -- and the
      rating readout (softmax over five token ids at the last position). Prints ratings_per_s.
Output: `key=value` lines, like bench_generate and bench_rating.
"""
import argparse
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def load(args):
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[args.dtype]
    try:  # transformers 5 names it dtype; 4.x torch_dtype
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype, attn_implementation="sdpa")
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=dtype, attn_implementation="sdpa")
    return model.to(args.device).eval()


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed_runs(fn, runs, device, warmup=None):
    (warmup or fn)()  # warm-up (kernels, allocator)
    times = []
    for _ in range(runs):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_gb(device):
    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else 0.0


def cmd_generate(args):
    model = load(args)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(3, vocab, (args.batch, args.prompt), generator=g).to(args.device)
    mask = torch.ones_like(ids)

    def run(new=args.new):
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, top_p=args.top_p,
                                 temperature=args.temperature, top_k=0, max_new_tokens=new,
                                 min_new_tokens=new, pad_token_id=0)
        assert out.shape[1] == args.prompt + new

    # A short warm-up: at ~1k tokens/s a full one would cost as much as a timed run.
    median = timed_runs(run, args.runs, args.device, warmup=lambda: run(16))
    print(f"impl=hf-generate median_s={median:.4f} tokens_per_s={args.batch * args.new / median:.1f} "
          f"peak_gb={peak_gb(args.device):.2f}")


def cmd_score(args):
    model = load(args)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(11)
    personas = torch.randint(3, vocab, (args.personas, args.persona_len), generator=g)
    items = torch.randint(3, vocab, (args.personas, args.items, args.item_len), generator=g)
    rating_ids = torch.tensor([16, 17, 18, 19, 20], device=args.device)  # any five ids: same cost

    def run():
        with torch.no_grad():
            for p in range(args.personas):
                rows = torch.cat([personas[p].expand(args.items, -1), items[p]], dim=1).to(args.device)
                logits = model(input_ids=rows, logits_to_keep=1).logits[:, -1]
                probs = torch.softmax(logits.float().index_select(-1, rating_ids), dim=-1)
                probs.sum().item()

    median = timed_runs(run, args.runs, args.device)
    print(f"impl=hf-forward-per-item median_s={median:.4f} "
          f"ratings_per_s={args.personas * args.items / median:.1f} peak_gb={peak_gb(args.device):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("generate", "score"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True)
        p.add_argument("--runs", type=int, default=3)
        p.add_argument("--dtype", default="bf16")
        p.add_argument("--device", default="cuda")
    gen = sub.choices["generate"]
    gen.add_argument("--batch", type=int, default=64)
    gen.add_argument("--prompt", type=int, default=512)
    gen.add_argument("--new", type=int, default=256)
    gen.add_argument("--top_p", type=float, default=0.9)
    gen.add_argument("--temperature", type=float, default=1.0)
    score = sub.choices["score"]
    score.add_argument("--personas", type=int, default=64)
    score.add_argument("--persona_len", type=int, default=200)
    score.add_argument("--items", type=int, default=30)
    score.add_argument("--item_len", type=int, default=30)
    args = ap.parse_args()
    {"generate": cmd_generate, "score": cmd_score}[args.command](args)


if __name__ == "__main__":
    main()
