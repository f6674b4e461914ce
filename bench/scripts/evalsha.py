#!/usr/bin/env python3
"""EVALSHA of a small script (GET + INCR of one key) through redis-benchmark, against
redis-server and stash-server in one run, side by side.

The script is what rate limiters and counters send: read a key, then increment it. Both servers
get SCRIPT LOAD first; then the same redis-benchmark invocation runs against each (alternating
which goes first), over random keys. Prints ops/s, Stash's ratio to Redis and the server CPU
seconds per million calls. Machines here are shared and noisy: compare the ratios.

Stash runs every script under its exclusive lock (see README, "Scripting"): scripts serialize
with everything, as in Redis, so extra worker threads do not make EVALSHA faster.

usage: evalsha.py [--stash PATH] [-n REQUESTS] [-c CLIENTS] [--pipelines 1,16] [--threads N]
"""
import argparse
import csv
import io
import subprocess

import peers

SCRIPT = "local v = redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])"


def bench(peer, sha, requests, clients, pipeline):
    cpu_before = peer.cpu_seconds()
    out = subprocess.run(
        ["redis-benchmark", "-p", str(peer.port), "-n", str(requests), "-c", str(clients),
         "-P", str(pipeline), "-r", "100000", "--csv",
         "EVALSHA", sha, "1", "counter:__rand_int__"],
        capture_output=True, text=True, check=True).stdout
    cpu = peer.cpu_seconds() - cpu_before
    rows = list(csv.reader(io.StringIO(out)))
    return float(rows[1][1]), cpu / requests * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--threads", type=int, default=0, help="stash worker threads (0 = cores)")
    args = ap.parse_args()

    redis = peers.start_redis()
    stash = peers.start_stash(args.stash, ["--threads", str(args.threads)])
    try:
        shas = {}
        for peer in (redis, stash):
            shas[peer.name] = subprocess.run(
                ["redis-cli", "-p", str(peer.port), "SCRIPT", "LOAD", SCRIPT],
                capture_output=True, text=True, check=True).stdout.strip()
        assert shas["redis"] == shas["stash"], shas
        print(f"{'test':<12}{'P':>4}{'redis ops/s':>14}{'stash ops/s':>14}{'ratio':>8}"
              f"{'redis cpu-s/M':>15}{'stash cpu-s/M':>15}")
        for i, pipeline in enumerate(int(p) for p in args.pipelines.split(",")):
            order = [redis, stash] if i % 2 == 0 else [stash, redis]
            result = {}
            for peer in order:
                result[peer.name] = bench(peer, shas[peer.name], args.n, args.c, pipeline)
            r, s = result["redis"], result["stash"]
            print(f"{'evalsha':<12}{pipeline:>4}{r[0]:>14.0f}{s[0]:>14.0f}{s[0] / r[0]:>8.2f}"
                  f"{r[1]:>15.2f}{s[1]:>15.2f}", flush=True)
    finally:
        redis.stop()
        stash.stop()


if __name__ == "__main__":
    main()
