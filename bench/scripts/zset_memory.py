#!/usr/bin/env python3
"""RSS bytes per member of one large sorted set, redis-server and stash-server side by side.

Loads N members ("member:<i>", 100 pairs per ZADD) through `redis-cli --pipe` into one key of a
fresh server, and prints (RSS after - RSS before) / N and the server's own used_memory per
member. Scores are random doubles (the usual leaderboard case) or the member's index
(--scores sequential, a set loaded in order).

usage: zset_memory.py [--stash PATH] [-n MEMBERS] [--scores random|sequential|both]
"""
import argparse
import random
import subprocess

import peers


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def load(peer, n, scores, batch=100):
    rng = random.Random(1)
    chunks = []
    for start in range(0, n, batch):
        args = [b"ZADD", b"zset"]
        for i in range(start, min(n, start + batch)):
            score = repr(rng.random() * 1e6) if scores == "random" else str(i)
            args += [score.encode(), b"member:%d" % i]
        chunks.append(resp(args))
    subprocess.run(["redis-cli", "-p", str(peer.port), "--pipe"], input=b"".join(chunks),
                   capture_output=True, check=True)


def measure(start, n, scores):
    peer = start()
    try:
        before = peer.rss_bytes()
        used_before = int(peer.info_field("memory", "used_memory") or 0)
        load(peer, n, scores)
        card = int(peer.command("zcard", "zset").strip())
        encoding = peer.command("object", "encoding", "zset").strip()
        after = peer.rss_bytes()
        used_after = int(peer.info_field("memory", "used_memory") or 0)
        return card, encoding, (after - before) / n, (used_after - used_before) / n
    finally:
        peer.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--scores", choices=["random", "sequential", "both"], default="both")
    args = ap.parse_args()
    kinds = ["random", "sequential"] if args.scores == "both" else [args.scores]
    print(f"one sorted set of {args.n} members 'member:<i>'")
    print(f"{'server':<8}{'scores':>12}{'zcard':>10}{'encoding':>10}{'RSS B/member':>15}"
          f"{'used_memory B/member':>23}")
    for scores in kinds:
        for name, start in (("redis", peers.start_redis),
                            ("stash", lambda: peers.start_stash(args.stash))):
            card, enc, rss, used = measure(start, args.n, scores)
            print(f"{name:<8}{scores:>12}{card:>10}{enc:>10}{rss:>15.1f}{used:>23.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
