"""PyTorch-eager twin of bench_dpo.cc: the same llama math (HF transformers' eager path), the same
synthetic batch and the same DPO step (TRL style: full-vocabulary fp32 logits, log_softmax, gather,
masked sum; sigmoid loss against precomputed reference log-probs; backward; clip_grad_norm_ 1.0;
torch.optim.AdamW). Full fine-tuning, or LoRA as PEFT computes it (fp32 adapters on all seven
projections, B = 0 at the start). Attention: the explicit softmax (HF "eager"), or
F.scaled_dot_product_attention (HF "sdpa") where torch has it. Prints one JSON line with the same fields.

usage: python3 bench_dpo.py --model DIR [--pairs 4] [--prompt_len 96] [--completion_len 32]
                            [--steps 5] [--warmup 2] [--threads 2] [--lr 1e-5] [--device cpu|cuda]
                            [--dtype f32|bf16] [--mode full|lora] [--lora_rank 16]
                            [--attention eager|sdpa] [--peak_tflops 0]
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


PROJECTIONS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


class Llama(torch.nn.Module):
    def __init__(self, model_dir, dtype=torch.float32, attention="eager"):
        super().__init__()
        self.attention = attention
        cfg = json.load(open(f"{model_dir}/config.json"))
        self.cfg = cfg
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads", self.heads)
        self.head_dim = cfg.get("head_dim") or cfg["hidden_size"] // self.heads
        self.eps = cfg["rms_norm_eps"]
        weights = load_safetensors(f"{model_dir}/model.safetensors")
        self.head = "lm_head.weight" if "lm_head.weight" in weights else "model.embed_tokens.weight"  # tied
        self.names = sorted(weights)
        self.params = torch.nn.ParameterDict({n.replace(".", "__"): torch.nn.Parameter(w.to(dtype))
                                              for n, w in weights.items()})
        self.register_buffer("inv_freq", inv_freq(cfg, self.head_dim))
        self.lora = None

    def w(self, name):
        return self.params[name.replace(".", "__")]

    def add_lora(self, rank, alpha, seed=1):
        """PEFT's LoRA on every projection: A ~ kaiming-uniform, B = 0, fp32; the base weights freeze."""
        for p in self.params.values():
            p.requires_grad_(False)
        g = torch.Generator().manual_seed(seed)
        self.lora = torch.nn.ParameterDict()
        self.lora_scaling = alpha / rank
        for i in range(self.cfg["num_hidden_layers"]):
            for proj in PROJECTIONS:
                out_f, in_f = self.w(f"model.layers.{i}.{proj}.weight").shape
                bound = 1.0 / math.sqrt(in_f)
                a = (torch.rand(rank, in_f, generator=g) * 2 - 1) * bound
                key = f"model__layers__{i}__{proj.replace('.', '__')}"
                self.lora[key + "__A"] = torch.nn.Parameter(a.to(self.inv_freq.device))
                self.lora[key + "__B"] = torch.nn.Parameter(torch.zeros(out_f, rank, device=self.inv_freq.device))

    def proj(self, layer, name, x):
        y = F.linear(x, self.w(f"model.layers.{layer}.{name}.weight"))
        if self.lora is None:
            return y
        key = f"model__layers__{layer}__{name.replace('.', '__')}"
        a, b = self.lora[key + "__A"], self.lora[key + "__B"]
        return y + (F.linear(F.linear(x.to(a.dtype), a), b) * self.lora_scaling).to(y.dtype)

    def attend(self, q, k, v, mask):
        if self.attention == "sdpa":
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
        attn = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        return torch.matmul(attn, v)

    def forward(self, ids):
        b, s = ids.shape
        x = F.embedding(ids, self.w("model.embed_tokens.weight"))
        pos = torch.arange(s, dtype=torch.float32, device=ids.device)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = torch.full((s, s), float("-inf"), device=ids.device).triu(1).to(x.dtype)
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = rms_norm(x, self.w(p + "input_layernorm.weight"), self.eps)
            q = self.proj(i, "self_attn.q_proj", h).view(b, s, self.heads, self.head_dim).transpose(1, 2)
            k = self.proj(i, "self_attn.k_proj", h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.proj(i, "self_attn.v_proj", h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            groups = self.heads // self.kv_heads
            k = k.repeat_interleave(groups, dim=1)
            v = v.repeat_interleave(groups, dim=1)
            o = self.attend(q, k, v, mask).transpose(1, 2).reshape(b, s, -1)
            x = x + self.proj(i, "self_attn.o_proj", o)
            h = rms_norm(x, self.w(p + "post_attention_layernorm.weight"), self.eps)
            gate = F.silu(self.proj(i, "mlp.gate_proj", h))
            x = x + self.proj(i, "mlp.down_proj", gate * self.proj(i, "mlp.up_proj", h))
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
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    ap.add_argument("--mode", default="full", choices=["full", "lora"])
    ap.add_argument("--lora_rank", type=int, default=16)
    ap.add_argument("--attention", default="eager", choices=["eager", "sdpa"])
    ap.add_argument("--peak_tflops", type=float, default=0.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    model = Llama(args.model, dtype, args.attention).to(args.device)
    base_params = sum(p.numel() for p in model.params.values())
    ids, mask = batch(args, model.cfg["vocab_size"])
    ids, mask = ids.to(args.device), mask.to(args.device)
    b = args.pairs
    with torch.no_grad():
        ref = sequence_logps(model, ids, mask)
    if args.mode == "lora":
        model.add_lora(args.lora_rank, 2.0 * args.lora_rank)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.0)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times, forward_times, backward_times, update_times = [], [], [], []
    first = None
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=False)
        policy = sequence_logps(model, ids, mask)
        d = (policy[:b] - ref[:b]) - (policy[b:] - ref[b:])
        loss = -F.logsigmoid(0.1 * d).mean()
        sync()
        forward_s = time.perf_counter() - start
        loss.backward()
        sync()
        backward_s = time.perf_counter() - start - forward_s
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        sync()
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
    mfu = tokens / median * 8 * base_params / (args.peak_tflops * 1e12) if args.peak_tflops > 0 else 0.0
    peak_gb = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
    print(json.dumps({"impl": "pytorch-" + args.attention, "mode": args.mode, "device": args.device,
                      "dtype": args.dtype, "params": base_params, "trained_params": sum(p.numel() for p in trained),
                      "threads": args.threads, "mfu": round(mfu, 4), "peak_gb": round(peak_gb, 2),
                      "tokens_per_step": tokens, "step_ms_median": round(median * 1e3, 2), "forward_ms": ms(forward_times),
                      "backward_ms": ms(backward_times), "update_ms": ms(update_times),
                      "tokens_per_s": round(tokens / median, 1), "step0_policy_chosen_logp": round(first[0], 6),
                      "step0_loss": round(first[1], 8)}))


if __name__ == "__main__":
    main()
