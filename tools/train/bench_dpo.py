"""PyTorch-eager twin of bench_dpo.cc: the same llama math (HF transformers' eager path), the same
synthetic batch and the same full fine-tuning DPO step (TRL style: full-vocabulary fp32 logits,
log_softmax, gather, masked sum; sigmoid loss against precomputed reference log-probs; backward;
clip_grad_norm_ 1.0; torch.optim.AdamW). Prints one JSON line with the same fields.

usage: python3 bench_dpo.py --model DIR [--pairs 4] [--prompt_len 96] [--completion_len 32]
                            [--steps 5] [--warmup 2] [--threads 2] [--lr 1e-5]
"""
import argparse
import json
import math
import struct
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).float()
    return out


def inv_freq(cfg, head_dim):
    theta = cfg.get("rope_theta", 10000.0)
    freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    rs = cfg.get("rope_scaling") or {}
    if rs.get("rope_type", rs.get("type")) == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / freq
        scaled = torch.where(wavelen > low_wavelen, freq / factor, freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        freq = torch.where(medium, smoothed, scaled)
    return freq


def rms_norm(x, w, eps):
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * h.to(x.dtype)


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Llama(torch.nn.Module):
    def __init__(self, model_dir):
        super().__init__()
        cfg = json.load(open(f"{model_dir}/config.json"))
        self.cfg = cfg
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads", self.heads)
        self.head_dim = cfg.get("head_dim") or cfg["hidden_size"] // self.heads
        self.eps = cfg["rms_norm_eps"]
        weights = load_safetensors(f"{model_dir}/model.safetensors")
        self.head = "lm_head.weight" if "lm_head.weight" in weights else "model.embed_tokens.weight"  # tied
        self.names = sorted(weights)
        self.params = torch.nn.ParameterDict({n.replace(".", "__"): torch.nn.Parameter(w) for n, w in weights.items()})
        self.register_buffer("inv_freq", inv_freq(cfg, self.head_dim))

    def w(self, name):
        return self.params[name.replace(".", "__")]

    def forward(self, ids):
        b, s = ids.shape
        x = F.embedding(ids, self.w("model.embed_tokens.weight"))
        pos = torch.arange(s, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((s, s), float("-inf")).triu(1)
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = rms_norm(x, self.w(p + "input_layernorm.weight"), self.eps)
            q = F.linear(h, self.w(p + "self_attn.q_proj.weight")).view(b, s, self.heads, self.head_dim).transpose(1, 2)
            k = F.linear(h, self.w(p + "self_attn.k_proj.weight")).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            v = F.linear(h, self.w(p + "self_attn.v_proj.weight")).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            groups = self.heads // self.kv_heads
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
            attn = torch.softmax(scores.float(), dim=-1).to(q.dtype)
            o = torch.matmul(attn, v).transpose(1, 2).reshape(b, s, -1)
            x = x + F.linear(o, self.w(p + "self_attn.o_proj.weight"))
            h = rms_norm(x, self.w(p + "post_attention_layernorm.weight"), self.eps)
            gate = F.silu(F.linear(h, self.w(p + "mlp.gate_proj.weight")))
            x = x + F.linear(gate * F.linear(h, self.w(p + "mlp.up_proj.weight")), self.w(p + "mlp.down_proj.weight"))
        x = rms_norm(x, self.w("model.norm.weight"), self.eps)
        return F.linear(x, self.w(self.head)).float()


def token(pair, t, s, vocab):
    return 1 + (pair * 7919 + t * 104729 + s * 15485863 + 13) % (vocab - 1)


def batch(args, vocab):
    rows, masks = [], []
    for side in (1, 2):  # chosen rows, then rejected rows
        for i in range(args.pairs):
            prompt = [token(i, t, 0, vocab) for t in range(args.prompt_len)]
            answer = [token(i, t, side, vocab) for t in range(args.completion_len)]
            rows.append(prompt + answer)
            masks.append([0] * args.prompt_len + [1] * args.completion_len)
    return torch.tensor(rows), torch.tensor(masks, dtype=torch.float32)


def sequence_logps(model, ids, mask):
    logits = model(ids)
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return (logp * mask[:, 1:]).sum(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--prompt_len", type=int, default=96)
    ap.add_argument("--completion_len", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = Llama(args.model)
    ids, mask = batch(args, model.cfg["vocab_size"])
    b = args.pairs
    with torch.no_grad():
        ref = sequence_logps(model, ids, mask)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    times, forward_times, backward_times, update_times = [], [], [], []
    first = None
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=False)
        policy = sequence_logps(model, ids, mask)
        d = (policy[:b] - ref[:b]) - (policy[b:] - ref[b:])
        loss = -F.logsigmoid(0.1 * d).mean()
        forward_s = time.perf_counter() - start
        loss.backward()
        backward_s = time.perf_counter() - start - forward_s
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step == 0:
            first = (policy[0].item(), loss.item())
        if step >= args.warmup:
            seconds = time.perf_counter() - start
            times.append(seconds)
            forward_times.append(forward_s)
            backward_times.append(backward_s)
            update_times.append(seconds - forward_s - backward_s)
    median = sorted(times)[len(times) // 2]
    ms = lambda values: round(sorted(values)[len(values) // 2] * 1e3, 2)
    tokens = 2 * args.pairs * (args.prompt_len + args.completion_len)
    params = sum(p.numel() for p in model.params.values())
    print(json.dumps({"impl": "pytorch-eager", "params": params, "threads": args.threads,
                      "tokens_per_step": tokens, "step_ms_median": round(median * 1e3, 2), "forward_ms": ms(forward_times),
                      "backward_ms": ms(backward_times), "update_ms": ms(update_times),
                      "tokens_per_s": round(tokens / median, 1), "step0_policy_chosen_logp": round(first[0], 6),
                      "step0_loss": round(first[1], 8)}))


if __name__ == "__main__":
    main()
