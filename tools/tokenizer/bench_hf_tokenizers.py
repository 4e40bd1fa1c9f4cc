#!/usr/bin/env python3
"""HF `tokenizers` (Rust) side of bench_tokenizer.cc: the same corpus (the file's non-empty lines repeated
until it has --min_mb MB), the same three measurements, printed in the same layout, single thread
(RAYON_NUM_THREADS=1 and one encode call per line, as the pipeline calls deeper::Tokenizer):
  encode/line   one encode(line, add_special_tokens=False) per line: first run, then the median
  encode/whole  the whole corpus in one call, median
  decode        decode(ids, skip_special_tokens=False) of each line's ids, median

usage: RAYON_NUM_THREADS=1 python3 bench_hf_tokenizers.py --tokenizers DIR1,DIR2 --text FILE
                                                         [--min_mb 16] [--runs 5]
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import Tokenizer  # noqa: E402  (after the thread settings)


def timed(fn):
    wall, cpu = time.perf_counter(), time.thread_time()
    result = fn()
    return result, time.perf_counter() - wall, time.thread_time() - cpu


def rate(mb, runs):
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    return f"{mb / wall:8.1f} MB/s [cpu {mb / max(cpu, 1e-9):6.1f} MB/s]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizers", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--min_mb", type=float, default=16.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with open(args.text, encoding="utf-8") as f:
        base = [line.rstrip("\n") for line in f if line.rstrip("\n")]
    lines, size = [], 0
    target = int(args.min_mb * 1e6)
    while size < target:
        for line in base:
            lines.append(line)
            size += len(line.encode("utf-8"))
    whole = "".join(line + "\n" for line in lines)
    mb = size / 1e6
    print(f"corpus: {args.text}, {len(base)} distinct lines repeated to {len(lines)} lines, {mb:.1f} MB; "
          f"median of {args.runs} runs (HF tokenizers)")
    for directory in [d for d in args.tokenizers.split(",") if d]:
        start = time.perf_counter()
        tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        load = time.perf_counter() - start
        encode_runs, first = [], None
        ids = None
        for run in range(args.runs + 1):
            ids, wall, cpu = timed(lambda: [tok.encode(line, add_special_tokens=False).ids for line in lines])
            if run == 0:
                first = [(wall, cpu)]
            else:
                encode_runs.append((wall, cpu))
        whole_runs = [timed(lambda: tok.encode(whole, add_special_tokens=False))[1:] for _ in range(args.runs)]
        decoded = []
        decode_runs = []
        for _ in range(args.runs):
            decoded, wall, cpu = timed(lambda: [tok.decode(v, skip_special_tokens=False) for v in ids])
            decode_runs.append((wall, cpu))
        decoded_mb = sum(len(t.encode("utf-8")) for t in decoded) / 1e6
        tokens = sum(len(v) for v in ids)
        print(f"{directory}: load {load:.2f} s, {tokens} tokens ({size / max(tokens, 1):.2f} bytes/token)")
        print(f"  encode/line   {rate(mb, encode_runs)} median; first run (cold cache) {rate(mb, first)}")
        print(f"  encode/whole  {rate(len(whole.encode('utf-8')) / 1e6, whole_runs)} median")
        print(f"  decode        {rate(decoded_mb, decode_runs)} median")


if __name__ == "__main__":
    main()
