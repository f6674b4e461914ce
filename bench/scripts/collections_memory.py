#!/usr/bin/env python3
"""Bytes per element of hashes and sets in redis-server and stash-server.

For each data set, each server is started fresh, its RSS read from /proc/<pid>/status, the data
loaded with `redis-cli --pipe`, and the RSS read again; the growth divided by the number of
elements (hash fields or set members) is the figure reported.

Data sets (deterministic):
  hashes      100,000 hashes x 10 fields ("field0".."field9"), 9-byte non-numeric values:
              listpack-encoded in both servers.
  hashes-int  the same with integer values (both servers store those as numbers in a listpack).
  sets        1,000 sets x 1,000 distinct random integers below 10^9: past
              set-max-intset-entries (512), so "hashtable"-encoded in both servers.
  intsets     10,000 sets x 100 integers: intset-encoded in both.

Usage: collections_memory.py [--stash PATH] [--only NAME ...]
"""
import argparse
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def hashes(int_values):
    rng = random.Random(1)
    cmds = []
    for i in range(100_000):
        args = ["HSET", f"hash:{i}"]
        for j in range(10):
            value = rng.randrange(10**8) if int_values else "v%08x" % rng.getrandbits(32)
            args += [f"field{j}", value]
        cmds.append(resp(*args))
    return b"".join(cmds), 1_000_000


def sets(count, size):
    rng = random.Random(2)
    cmds = []
    for i in range(count):
        members = rng.sample(range(10**9), size)
        cmds.append(resp("SADD", f"set:{i}", *members))
    return b"".join(cmds), count * size


DATASETS = {
    "hashes": lambda: hashes(False),
    "hashes-int": lambda: hashes(True),
    "sets": lambda: sets(1_000, 1_000),
    "intsets": lambda: sets(10_000, 100),
}


def measure(peer, payload):
    peer.command("ping")
    time.sleep(0.2)
    before = peer.rss_bytes()
    proc = subprocess.run(["redis-cli", "-p", str(peer.port), "--pipe"], input=payload,
                          capture_output=True, check=True)
    if b"errors: 0" not in proc.stdout:
        raise RuntimeError(f"{peer.name}: --pipe reported errors: {proc.stdout[-200:]!r}")
    time.sleep(0.5)
    after = peer.rss_bytes()
    return before, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stash", default=peers.default_stash_binary())
    parser.add_argument("--only", nargs="*", choices=sorted(DATASETS), default=None)
    opts = parser.parse_args()
    names = opts.only or list(DATASETS)
    print(f"{'data set':<12} {'server':<6} {'elements':>9} {'RSS before':>12} {'RSS after':>12}"
          f" {'bytes/elem':>10}  encoding")
    for name in names:
        payload, elements = DATASETS[name]()
        for start in (peers.start_redis, lambda: peers.start_stash(opts.stash)):
            peer = start()
            try:
                before, after = measure(peer, payload)
                first_key = "hash:0" if name.startswith("hashes") else "set:0"
                encoding = peer.command("object", "encoding", first_key).strip()
                print(f"{name:<12} {peer.name:<6} {elements:>9} {before:>12} {after:>12}"
                      f" {(after - before) / elements:>10.1f}  {encoding}", flush=True)
            finally:
                peer.stop()


if __name__ == "__main__":
    main()
