#!/usr/bin/env python3
"""Reference implementation of context building with pandas, timed side by side with bench_contexts.

Builds the same in-memory contexts as the C++ readers (per user: id, metadata and windows of
(items, ratings)) from the release's split CSVs or from a raw ratings log, then optionally writes
round K in the release's round-file layout so the two outputs can be compared byte for byte.

  bench_contexts_pandas.py --csv a.csv b.csv --repeat 3 --round 1 --out r1.jsonl
  bench_contexts_pandas.py --ratings ratings.csv --items movies.csv --repeat 3 --round 1 --out r1.jsonl

Prints one line: rows=N median_s=S cpu_median_s=C runs=S1,S2,...  (wall and process CPU seconds)
"""
import argparse
import ast
import html
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd

META = ["id", "item_type", "split", "dataset_name", "source_url"]
# Metadata of users built from a ratings log, as the C++ RatingsLogOptions defaults.
DEFAULT_META = {"dataset_name": "ratings", "item_type": "item", "split": "eval", "source_url": ""}


def read_release_csv(path, window_length=10, unescape=True):
    """Users of a split CSV: window cells are Python literals, read with ast.literal_eval."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = sorted((c for c in df.columns if c.startswith("windows_")), key=lambda c: int(c.split("_")[1]))
    cells = [df[c].map(ast.literal_eval) for c in columns]
    users = []
    for i, row in enumerate(df[META].itertuples(index=False)):
        windows = []
        for column in cells:
            window = column.iat[i]
            items = [html.unescape(x) for x in window["items"]] if unescape else list(window["items"])
            if len(items) != window_length or len(window["ratings"]) != window_length:
                raise ValueError(f"{path}: user {row[0]}: wrong window length")
            windows.append((items, list(window["ratings"])))
        users.append(dict(zip(META, row), windows=windows))
    return users, len(df)


def read_ratings_log(ratings, items, user="userId", item="movieId", rating="rating", when="timestamp",
                     item_id="movieId", item_name="title", min_ratings=50, window_length=10, max_windows=0,
                     meta=None):
    """Users with more than min_ratings ratings, sorted by time (stable), cut into full windows."""
    # Column types are inferred (integer ids stay integers: pandas' fastest path); the C++ reader keeps
    # ids as text, which gives the same output for ids written canonically, as in MovieLens.
    df = pd.read_csv(ratings, usecols=[user, item, rating, when])
    table = pd.read_csv(items, usecols=[item_id, item_name], dtype={item_name: str}, keep_default_na=False)
    names = pd.Series(table[item_name].map(html.unescape).values, index=table[item_id])
    codes, user_ids = pd.factorize(df[user])  # Users in order of first appearance.
    counts = np.bincount(codes)
    keep = counts[codes] > min_ratings
    df = df.loc[keep]
    codes = codes[keep]
    order = np.lexsort((df[when].to_numpy(), codes))  # Stable: ties keep log order.
    df = df.iloc[order]
    codes = codes[order]
    position = df.groupby(codes, sort=False).cumcount().to_numpy()
    window = position // window_length
    limit = counts // window_length
    if max_windows > 0:
        limit = np.minimum(limit, max_windows)
    full = window < limit[codes]
    df = df.loc[full].assign(u=codes[full], w=window[full])
    df["name"] = df[item].map(names)
    if df["name"].isna().any():
        raise ValueError(f"{ratings}: item {df.loc[df['name'].isna(), item].iat[0]} is not in {items}")
    df["r"] = df[rating].astype(object)  # Python ints or floats, as json.dumps writes them.
    grouped = df.groupby(["u", "w"], sort=False).agg(items=("name", list), ratings=("r", list))
    users = []
    last = None
    meta = dict(DEFAULT_META, **(meta or {}))
    for (u, _), names_, ratings_ in zip(grouped.index, grouped["items"], grouped["ratings"]):
        if u != last:
            users.append(dict(id=str(user_ids[u]), windows=[], **meta))
            last = u
        users[-1]["windows"].append((names_, ratings_))
    return users, int(counts.sum())


def format_round(users, k):
    lines = []
    for user in users:
        if len(user["windows"]) < k + 2:
            continue
        record = {"id": user["id"], "iteration": k}
        for key in META[1:]:
            record[key] = user[key]
        for j in (k - 1, k, k + 1):
            record[f"U{j}"] = user["windows"][j][1]
        for j in (k - 1, k, k + 1):
            record[f"I{j}"] = user["windows"][j][0]
        lines.append(json.dumps(record) + "\r\n")
    return "".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", nargs="+", help="release split CSVs")
    parser.add_argument("--ratings", help="raw ratings log (CSV)")
    parser.add_argument("--items", help="item table (CSV) for --ratings")
    parser.add_argument("--meta", default="", help="metadata of --ratings users as key=value pairs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--round", type=int, default=1)
    parser.add_argument("--out", help="write round --round of the last run here")
    args = parser.parse_args()
    if bool(args.csv) == bool(args.ratings):
        parser.error("give --csv or --ratings")
    meta = dict(pair.split("=", 1) for pair in args.meta.split(",") if pair)

    def build():
        if args.csv:
            users, rows = [], 0
            for path in args.csv:
                u, n = read_release_csv(path)
                users += u
                rows += n
            return users, rows
        return read_ratings_log(args.ratings, args.items, meta=meta)

    times, cpu_times = [], []
    for _ in range(args.repeat):
        users = None
        cpu_start = time.process_time()
        start = time.perf_counter()
        users, rows = build()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    if args.out:
        with open(args.out, "w", encoding="ascii", newline="") as out:
            out.write(format_round(users, args.round))
    print(f"rows={rows} median_s={statistics.median(times):.6f} cpu_median_s={statistics.median(cpu_times):.6f} "
          f"runs={','.join(f'{t:.4f}' for t in times)}")


if __name__ == "__main__":
    sys.exit(main())
