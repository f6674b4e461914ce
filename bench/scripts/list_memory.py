#!/usr/bin/env python3
"""RSS bytes per element of one big list, redis-server and stash-server side by side.

Starts each server fresh, reads its RSS, loads N elements into one list with RPUSH through
`redis-cli --pipe` (--batch elements per command), checks LLEN, and prints
(RSS after - RSS before) / N and the server's own used_memory per element. Element shapes:
  str   "elem:%08d"-style strings of --size bytes (default 12)
  int   the integers 0 .. N-1 as decimal text
  rand  random printable strings of --size bytes

usage: list_memory.py [--stash PATH] [-n ELEMENTS] [--shape str|int|rand] [--size 12]
                      [--batch 100] [--fill -2]
"""
import argparse
import random
import string
import subprocess

import peers


def resp(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def elements(n, shape, size):
    if shape == "int":
        return [b"%d" % i for i in range(n)]
    if shape == "rand":
        rng = random.Random(42)
        alphabet = (string.ascii_letters + string.digits).encode()
        return [bytes(rng.choice(alphabet) for _ in range(size)) for _ in range(n)]
    return [(b"elem:%0*d" % (max(size - 5, 1), i))[-size:] for i in range(n)]


def payload(items, batch):
    chunks = []
    for i in range(0, len(items), batch):
        chunks.append(resp([b"RPUSH", b"biglist", *items[i:i + batch]]))
    return b"".join(chunks)


def measure(start, data, n, fill):
    peer = start()
    try:
        peer.command("config", "set", "list-max-listpack-size", str(fill))
        before = peer.rss_bytes()
        used_before = int(peer.info_field("memory", "used_memory") or 0)
        subprocess.run(["redis-cli", "-p", str(peer.port), "--pipe"], input=data,
                       capture_output=True, check=True)
        length = int(peer.command("llen", "biglist").strip())
        assert length == n, f"{peer.name}: LLEN {length}, expected {n}"
        after = peer.rss_bytes()
        used_after = int(peer.info_field("memory", "used_memory") or 0)
        return (after - before) / n, (used_after - used_before) / n
    finally:
        peer.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--shape", choices=("str", "int", "rand"), default="str")
    ap.add_argument("--size", type=int, default=12)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--fill", type=int, default=-2)
    args = ap.parse_args()
    items = elements(args.n, args.shape, args.size)
    data = payload(items, args.batch)
    print(f"{args.n} elements, shape {args.shape} (e.g. {items[-1].decode()!r}), "
          f"list-max-listpack-size {args.fill}")
    print(f"{'server':<8}{'RSS B/elem':>12}{'used_memory B/elem':>21}")
    results = {}
    for name, start in (("redis", peers.start_redis),
                        ("stash", lambda: peers.start_stash(args.stash))):
        rss, used = measure(start, data, args.n, args.fill)
        results[name] = rss
        print(f"{name:<8}{rss:>12.2f}{used:>21.2f}", flush=True)
    print(f"stash/redis RSS ratio: {results['stash'] / results['redis']:.3f}")


if __name__ == "__main__":
    main()
