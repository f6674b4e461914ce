#!/usr/bin/env python3
"""The cache client (client/) against redis-server and stash-server in the same run.

Runs build/bench/client_bench against each server (alternating the order over --rounds) and
prints the median of each figure and the stash/redis ratio.

usage: client_bench.py [--stash PATH] [--bench PATH] [--iterations 20000] [--threads 8]
"""
import argparse
import os
import statistics
import subprocess

import peers


def run(bench, port, iterations, threads):
    out = subprocess.run([bench, "--port", str(port), "--iterations", str(iterations),
                          "--threads", str(threads)], capture_output=True, text=True,
                         check=True).stdout
    figures = {}
    for line in out.splitlines():
        name, value = line.split()[:2]
        figures[name] = None if value == "n/a" else float(value)
    return figures


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("--bench", default=os.path.join(here, "..", "..", "build", "bench",
                                                    "client_bench"))
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    results = {"redis": [], "stash": []}
    for r in range(args.rounds):
        order = [("redis", peers.start_redis), ("stash", lambda: peers.start_stash(args.stash))]
        if r % 2:
            order.reverse()
        for name, start in order:
            peer = start()
            try:
                results[name].append(run(args.bench, peer.port, args.iterations, args.threads))
            finally:
                peer.stop()

    def median(name, key):
        values = [f[key] for f in results[name] if f.get(key) is not None]
        return statistics.median(values) if values else None

    print("| figure | redis | stash | stash/redis |")
    print("|---|---|---|---|")
    for key in results["redis"][0]:
        a, b = median("redis", key), median("stash", key)
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}" if v < 10 else f"{v:.0f}"
        ratio = f"{b / a:.2f}" if a and b else "n/a"
        print(f"| {key} | {fmt(a)} | {fmt(b)} | {ratio} |")


if __name__ == "__main__":
    main()
