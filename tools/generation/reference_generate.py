#!/usr/bin/env python3
"""PyTorch-eager reference of deeper's generation, for side-by-side benchmarks.

Implements the same model math as model/transformer.cc for llama checkpoints (RMSNorm in fp32, rotate-half
RoPE with llama3 scaling, GQA, SwiGLU, tied or untied LM head), reading the same config.json and
model.safetensors, and the same decode loop: a preallocated KV cache, logits of the last position only,
greedy or keyed sampling (temperature -> top-k -> top-p, inverse CDF with the counter-based uniforms of
model/sampling.cc), so its tokens can be compared with bench_generate's.

  reference_generate.py make-prompts --out IDS --batch B --length L --vocab V [--seed S]
  reference_generate.py generate --model DIR --ids IDS --max-new N --threads T [--runs 3]
                        [--temperature T --top-k K --top-p P --seed S] [--out OUT]
  reference_generate.py compare A B          (exit 1 when output_ids differ)
Prints `key=value` lines (median_s, tokens_per_s, ...) for bench.sh.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


# ---- safetensors ---------------------------------------------------------------------------------
def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    buf = bytearray(data[8 + n:])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(buf[b:end], dtype=DTYPES[e["dtype"]]) if end > b else torch.empty(0, dtype=DTYPES[e["dtype"]])
        out[name] = t.reshape(e["shape"])
    return out


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---- model ---------------------------------------------------------------------------------------
class Llama:
    def __init__(self, directory):
        with open(directory + "/config.json") as f:
            c = json.load(f)
        if c.get("model_type") != "llama":
            sys.exit("reference_generate.py: only llama checkpoints are implemented")
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads", self.heads)
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.heads
        self.eps = c["rms_norm_eps"]
        w = load_safetensors(directory + "/model.safetensors")
        self.w = {k: v.float() for k, v in w.items()}
        self.lm_head = self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"])
        self.inv_freq = self.rope_inv_freq(c)

    def rope_inv_freq(self, c):
        rope = c.get("rope_parameters") or c.get("rope_scaling") or {}
        theta = c.get("rope_theta", rope.get("rope_theta", 10000.0))
        d = self.head_dim
        inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        if rope.get("rope_type", rope.get("type")) != "llama3":
            return inv
        factor, low, high = rope["factor"], rope["low_freq_factor"], rope["high_freq_factor"]
        old = rope["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > old / low, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < old / high) & ~(wavelen > old / low)
        return torch.where(medium, smoothed, scaled)

    def norm(self, x, weight):
        x32 = x.float()
        return weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)

    def new_cache(self, batch, capacity):
        shape = (batch, self.kv_heads, capacity, self.head_dim)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in range(self.layers)]

    def forward(self, ids, cache, start):
        """ids [B,S] at positions start..start+S-1 (no padding); returns fp32 logits of the last position."""
        b, s = ids.shape
        h = self.w["model.embed_tokens.weight"][ids]
        pos = torch.arange(start, start + s, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos(), emb.sin()
        t = start + s
        mask = None
        if s > 1:
            mask = torch.full((s, t), float("-inf")).triu(start + 1)
        g = self.heads // self.kv_heads
        for i in range(self.layers):
            p = "model.layers.%d." % i
            x = self.norm(h, self.w[p + "input_layernorm.weight"])
            q = (x @ self.w[p + "self_attn.q_proj.weight"].T).view(b, s, self.heads, self.head_dim).transpose(1, 2)
            k = (x @ self.w[p + "self_attn.k_proj.weight"].T).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            v = (x @ self.w[p + "self_attn.v_proj.weight"].T).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            kc, vc = cache[i]
            kc[:, :, start:t] = k
            vc[:, :, start:t] = v
            keys, values = kc[:, :, :t], vc[:, :, :t]
            # GQA without copying K/V per head: the g query heads of a KV head share one matmul.
            qg = q.reshape(b, self.kv_heads, g * s, self.head_dim)
            scores = (qg @ keys.transpose(-1, -2)) / math.sqrt(self.head_dim)
            if mask is not None:
                scores = (scores.view(b, self.kv_heads, g, s, t) + mask).view(b, self.kv_heads, g * s, t)
            attn = torch.softmax(scores.float(), -1) @ values
            attn = attn.view(b, self.heads, s, self.head_dim).transpose(1, 2).reshape(b, s, -1)
            h = h + attn @ self.w[p + "self_attn.o_proj.weight"].T
            x = self.norm(h, self.w[p + "post_attention_layernorm.weight"])
            gate = torch.nn.functional.silu(x @ self.w[p + "mlp.gate_proj.weight"].T)
            h = h + (gate * (x @ self.w[p + "mlp.up_proj.weight"].T)) @ self.w[p + "mlp.down_proj.weight"].T
        last = self.norm(h[:, -1], self.w["model.norm.weight"])
        return (last @ self.lm_head.T).float()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], -1)


# ---- sampling (mirrors model/sampling.cc) --------------------------------------------------------
M32 = 0xFFFFFFFF
MASK64 = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def stream_id(seed, key):
    s = mix64(mix64(seed) ^ key)
    return s - (1 << 64) if s >= (1 << 63) else s  # as int64


def hash32(x):
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & M32
    x = x ^ (x >> 15)
    x = (x * 0x21F0AAAD) & M32
    return x ^ (x >> 16)


def stream_uniforms(streams, steps):
    low, high = streams & M32, (streams >> 32) & M32
    h = hash32(low ^ hash32(high ^ hash32(steps & M32)))
    return (h >> 8).float() * (1.0 / 16777216.0)


def sample(logits, args, uniforms):
    if args.greedy:
        return logits.argmax(-1)
    scores = logits / args.temperature if args.temperature != 1.0 else logits
    vocab = scores.shape[-1]
    use_k, use_p = 0 < args.top_k < vocab, args.top_p < 1.0
    ids = None
    if use_k:
        scores, ids = torch.topk(scores, args.top_k, -1)
    elif use_p:
        scores, ids = torch.sort(scores, dim=-1, descending=True, stable=True)
    if use_p:
        probs = torch.softmax(scores, -1)
        scores = scores.masked_fill(probs.cumsum(-1) - probs >= args.top_p, float("-inf"))
    cdf = torch.softmax(scores, -1).cumsum(-1)
    target = uniforms.unsqueeze(1) * cdf[:, -1:]
    pos = torch.searchsorted(cdf, target, right=True).clamp(0, cdf.shape[-1] - 1)
    return ids.gather(1, pos).squeeze(1) if ids is not None else pos.squeeze(1)


def generate(model, prompts, args):
    b, p = prompts.shape
    cache = model.new_cache(b, p + args.max_new)
    streams = torch.tensor([stream_id(args.seed, key) for key in range(b)], dtype=torch.int64)
    out = torch.empty(b, args.max_new, dtype=torch.int64)
    logits = model.forward(prompts, cache, 0)
    for t in range(args.max_new):
        u = None if args.greedy else stream_uniforms(streams, torch.full((b,), t, dtype=torch.int64))
        token = sample(logits, args, u)
        out[:, t] = token
        if t + 1 < args.max_new:
            logits = model.forward(token.view(b, 1), cache, p + t)
    return out


# ---- commands ------------------------------------------------------------------------------------
def cmd_generate(args):
    torch.set_num_threads(args.threads)
    args.greedy = args.temperature <= 0 or args.top_k == 1
    model = Llama(args.model)
    prompts = load_safetensors(args.ids)["input_ids"].long()
    times, out = [], None
    with torch.inference_mode():
        for run in range(args.warmup + args.runs):
            begin = time.perf_counter()
            out = generate(model, prompts, args)
            if run >= args.warmup:
                times.append(time.perf_counter() - begin)
    median = sorted(times)[len(times) // 2]
    if args.out:
        save_safetensors(args.out, {"output_ids": out})
    b = prompts.shape[0]
    print("impl=pytorch-eager threads=%d batch=%d prompt=%d new=%d" % (torch.get_num_threads(), b, prompts.shape[1], args.max_new))
    print("median_s=%.6f" % median)
    print("tokens_per_s=%.2f" % (b * args.max_new / median))


def cmd_make_prompts(args):
    g = torch.Generator().manual_seed(args.seed)
    ids = torch.randint(3, args.vocab, (args.batch, args.length), generator=g, dtype=torch.int64)
    save_safetensors(args.out, {"input_ids": ids})


def cmd_compare(args):
    a, b = load_safetensors(args.a)["output_ids"], load_safetensors(args.b)["output_ids"]
    same = a.shape == b.shape and bool((a == b).all())
    agree = float((a == b).float().mean()) if a.shape == b.shape else 0.0
    print("identical=%s agreement=%.4f" % ("yes" if same else "no", agree))
    sys.exit(0 if same else 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--model", required=True)
    g.add_argument("--ids", required=True)
    g.add_argument("--max-new", type=int, default=64)
    g.add_argument("--threads", type=int, required=True)
    g.add_argument("--runs", type=int, default=3)
    g.add_argument("--warmup", type=int, default=1)
    g.add_argument("--temperature", type=float, default=0.0)
    g.add_argument("--top-k", type=int, default=0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default="")
    m = sub.add_parser("make-prompts")
    m.add_argument("--out", required=True)
    m.add_argument("--batch", type=int, required=True)
    m.add_argument("--length", type=int, required=True)
    m.add_argument("--vocab", type=int, required=True)
    m.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    {"generate": cmd_generate, "make-prompts": cmd_make_prompts, "compare": cmd_compare}[args.command](args)


if __name__ == "__main__":
    main()
