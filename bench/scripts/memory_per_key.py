#!/usr/bin/env python3
"""RSS bytes per key for N small string keys, redis-server and stash-server side by side.

Loads N keys (16-byte keys, 24-byte values by default) through `redis-cli --pipe`, once without
and once with a TTL, into a fresh server each time, and prints (RSS after - RSS before) / N and
the server's own used_memory per key.

usage: memory_per_key.py [--stash PATH] [-n KEYS] [--key-size 16] [--value-size 24]
"""
import argparse
import subprocess

import peers


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def load(peer, n, key_size, value_size, ttl):
    chunks = []
    value = b"v" * value_size
    for i in range(n):
        key = (b"key:%012d" % i)[:key_size].ljust(key_size, b"k")
        if ttl:
            chunks.append(resp(b"SET", key, value, b"EX", b"100000"))
        else:
            chunks.append(resp(b"SET", key, value))
    data = b"".join(chunks)
    subprocess.run(["redis-cli", "-p", str(peer.port), "--pipe"], input=data,
                   capture_output=True, check=True)


def measure(start, n, key_size, value_size, ttl):
    peer = start()
    try:
        before = peer.rss_bytes()
        used_before = int(peer.info_field("memory", "used_memory") or 0)
        load(peer, n, key_size, value_size, ttl)
        keys = int(peer.command("dbsize").strip())
        after = peer.rss_bytes()
        used_after = int(peer.info_field("memory", "used_memory") or 0)
        return keys, (after - before) / n, (used_after - used_before) / n
    finally:
        peer.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=24)
    args = ap.parse_args()
    print(f"{args.n} keys, {args.key_size}-byte keys, {args.value_size}-byte values")
    print(f"{'server':<8}{'ttl':>5}{'keys':>10}{'RSS B/key':>12}{'used_memory B/key':>20}")
    for ttl in (False, True):
        for name, start in (("redis", peers.start_redis),
                            ("stash", lambda: peers.start_stash(args.stash))):
            keys, rss, used = measure(start, args.n, args.key_size, args.value_size, ttl)
            print(f"{name:<8}{'yes' if ttl else 'no':>5}{keys:>10}{rss:>12.1f}{used:>20.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
