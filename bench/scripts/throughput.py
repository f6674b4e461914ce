#!/usr/bin/env python3
"""redis-benchmark against redis-server and stash-server in one run, side by side.

For each command and pipeline depth it runs the same redis-benchmark invocation against both
servers (alternating which goes first), and prints ops/s, Stash's ratio to Redis, and the
server's CPU seconds per million requests (from /proc). Machines here are shared and noisy, so
compare the ratios, not the absolute numbers.

usage: throughput.py [--stash PATH] [-n REQUESTS] [-c CLIENTS] [--tests ping,set,...]
                     [--pipelines 1,16] [--threads N]
"""
import argparse
import csv
import io
import subprocess

import peers


def bench(peer, test, requests, clients, pipeline):
    cpu_before = peer.cpu_seconds()
    out = subprocess.run(
        ["redis-benchmark", "-p", str(peer.port), "-t", test, "-n", str(requests), "-c",
         str(clients), "-P", str(pipeline), "-r", "100000", "--csv"],
        capture_output=True, text=True, check=True).stdout
    cpu = peer.cpu_seconds() - cpu_before
    rows = list(csv.reader(io.StringIO(out)))
    # --csv prints a header row, then "name","rps",...; take the first data row.
    rps = float(rows[1][1])
    return rps, cpu / requests * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--tests", default="ping,set,get,incr,mset")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--threads", type=int, default=0, help="stash worker threads (0 = cores)")
    args = ap.parse_args()

    redis = peers.start_redis()
    stash = peers.start_stash(args.stash, ["--threads", str(args.threads)])
    try:
        print(f"{'test':<8}{'P':>4}{'redis ops/s':>14}{'stash ops/s':>14}{'ratio':>8}"
              f"{'redis cpu-s/M':>15}{'stash cpu-s/M':>15}")
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            for i, test in enumerate(args.tests.split(",")):
                order = [redis, stash] if i % 2 == 0 else [stash, redis]
                result = {}
                for peer in order:
                    result[peer.name] = bench(peer, test, args.n, args.c, pipeline)
                r, s = result["redis"], result["stash"]
                print(f"{test:<8}{pipeline:>4}{r[0]:>14.0f}{s[0]:>14.0f}{s[0] / r[0]:>8.2f}"
                      f"{r[1]:>15.2f}{s[1]:>15.2f}", flush=True)
    finally:
        redis.stop()
        stash.stop()


if __name__ == "__main__":
    main()
