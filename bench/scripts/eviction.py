#!/usr/bin/env python3
"""Eviction quality under maxmemory: redis-server and stash-server side by side, one trace.

A read-through cache: for each request GET key; on a miss SET key to a 100-byte value. Keys
follow a Zipfian distribution (s = 0.99) over a universe several times larger than what fits in
maxmemory. Requests go in pipelined batches (GETs of a batch, then the SETs of its misses), the
same batches for every server. The second half of the trace is measured (the first warms the
cache up). The "scan" variant inserts, in the middle of the measured half, a one-off sequential
scan of cold keys (read-through too: each is a miss and gets SET), as many as the cache holds;
its hit ratio counts the Zipfian requests only, so the scan's own misses do not count against it.

For each server and policy it prints the hit ratio, the keys held at the end, and the hit ratio of
an exact LRU simulated here on the same batches with Stash's key count as its capacity.

usage: eviction.py [--stash PATH] [--maxmemory 64mb] [--universe N] [--requests N]
                   [--policies allkeys-lru,allkeys-tinylfu] [--samples 5]
"""
import argparse
import bisect
import collections
import random
import socket

import peers

VALUE = b"v" * 100


def zipf_trace(universe, n, s, seed):
    rng = random.Random(seed)
    cdf = []
    total = 0.0
    for rank in range(1, universe + 1):
        total += 1.0 / rank ** s
        cdf.append(total)
    # Rank r -> a fixed random key id, so popularity is not correlated with key order.
    ids = list(range(universe))
    rng.shuffle(ids)
    return [ids[bisect.bisect_left(cdf, rng.random() * total)] for _ in range(n)]


def key_of(i):
    return b"key:%d" % i if i >= 0 else b"scan:%d" % (-i - 1)


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b"-":
            return Exception(line.decode())
        return line

    def command(self, *args):
        self.send(encode(args))
        return self.reply()


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def run_trace(client, batches, measure_from):
    """Returns (hits, lookups) over the Zipfian requests of batches[measure_from:]."""
    hits = lookups = 0
    errors = 0
    for b, batch in enumerate(batches):
        client.send(b"".join(encode((b"GET", key_of(k))) for k in batch))
        missed = []
        for k in batch:
            if client.reply() is None:
                missed.append(k)
            elif b >= measure_from and k >= 0:
                hits += 1
        if b >= measure_from:
            lookups += sum(1 for k in batch if k >= 0)
        if missed:
            client.send(b"".join(encode((b"SET", key_of(k), VALUE)) for k in missed))
            for _ in missed:
                if isinstance(client.reply(), Exception):
                    errors += 1
    return hits, lookups, errors


def simulate_lru(batches, measure_from, capacity):
    cache = collections.OrderedDict()
    hits = lookups = 0
    for b, batch in enumerate(batches):
        missed = []
        for k in batch:
            if k in cache:
                cache.move_to_end(k)
                if b >= measure_from and k >= 0:
                    hits += 1
            else:
                missed.append(k)
        if b >= measure_from:
            lookups += sum(1 for k in batch if k >= 0)
        for k in missed:
            cache[k] = True
            cache.move_to_end(k)
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / lookups


def make_batches(trace, batch, scan_keys, scan_at):
    out = [trace[i:i + batch] for i in range(0, len(trace), batch)]
    if scan_keys:
        scan = [-(j + 1) for j in range(scan_keys)]
        out[scan_at:scan_at] = [scan[i:i + batch] for i in range(0, len(scan), batch)]
    return out


def measure(start, policy, samples, maxmemory, batches, measure_from):
    peer = start()
    try:
        c = Client(peer.port)
        for args in ((b"CONFIG", b"SET", b"maxmemory", maxmemory.encode()),
                     (b"CONFIG", b"SET", b"maxmemory-policy", policy.encode()),
                     (b"CONFIG", b"SET", b"maxmemory-samples", str(samples).encode())):
            r = c.command(*args)
            if isinstance(r, Exception):
                raise RuntimeError(f"{peer.name}: {args}: {r}")
        hits, lookups, errors = run_trace(c, batches, measure_from)
        keys = int(c.command(b"DBSIZE")[1:])
        used = int(peer.info_field("memory", "used_memory"))
        evicted = int(peer.info_field("stats", "evicted_keys"))
        return {"hit": hits / lookups, "keys": keys, "used": used, "evicted": evicted,
                "errors": errors}
    finally:
        peer.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("--maxmemory", default="64mb")
    ap.add_argument("--universe", type=int, default=2_000_000)
    ap.add_argument("--requests", type=int, default=3_000_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--zipf", type=float, default=0.99)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--policies", default="allkeys-lru,allkeys-tinylfu")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-scan", action="store_true")
    args = ap.parse_args()

    trace = zipf_trace(args.universe, args.requests, args.zipf, args.seed)
    plain = make_batches(trace, args.batch, 0, 0)
    measure_from = len(plain) // 2
    print(f"maxmemory {args.maxmemory}, universe {args.universe}, {args.requests} requests "
          f"(Zipf s={args.zipf}), batches of {args.batch}, maxmemory-samples {args.samples}, "
          f"second half measured")
    # An unbounded cache misses only on first references: no policy at any maxmemory can score
    # more on this trace, which bounds what holding more keys per byte can win.
    ceiling = simulate_lru(plain, measure_from, args.universe)
    print(f"ceiling (a cache holding every key, only compulsory misses): hit {ceiling:.4f}")
    runs = [("redis", "allkeys-lru")] + [("stash", p) for p in args.policies.split(",")]
    results = {}
    for scan in ([False] if args.no_scan else [False, True]):
        scan_keys = 0
        if scan:
            # As many cold keys as the Stash LRU run held: enough to flush an LRU cache.
            scan_keys = results[("stash", "allkeys-lru", False)]["keys"]
        batches = make_batches(trace, args.batch, scan_keys,
                               measure_from + (len(plain) - measure_from) // 2)
        for server, policy in runs:
            start = (lambda: peers.start_redis()) if server == "redis" else \
                (lambda: peers.start_stash(args.stash))
            r = measure(start, policy, args.samples, args.maxmemory, batches, measure_from)
            r["lru"] = simulate_lru(batches, measure_from, r["keys"])
            results[(server, policy, scan)] = r
            label = f"{server} {policy}" + (f" + scan of {scan_keys} keys" if scan else "")
            print(f"{label:48s} hit {r['hit']:.4f}  keys {r['keys']:8d}  "
                  f"exact LRU at that key count {r['lru']:.4f} ({r['hit'] - r['lru']:+.4f})  "
                  f"used_memory {r['used']}  evicted {r['evicted']}  set errors {r['errors']}",
                  flush=True)
    redis = results[("redis", "allkeys-lru", False)]
    stash = results[("stash", "allkeys-lru", False)]
    print(f"stash allkeys-lru - redis allkeys-lru: {stash['hit'] - redis['hit']:+.4f} hit ratio, "
          f"{stash['keys'] / redis['keys']:.2f}x keys (the ceiling is "
          f"{ceiling - redis['hit']:+.4f} above redis)")
    if not args.no_scan:
        for server, policy in runs:
            a, b = results[(server, policy, False)], results[(server, policy, True)]
            print(f"{server} {policy}: hit ratio lost through the scan {a['hit'] - b['hit']:+.4f}")


if __name__ == "__main__":
    main()
