#!/usr/bin/env python3
"""Mass expiry, redis-server and stash-server side by side in one run (one after the other).

Loads N keys (16-byte keys, 24-byte values) with TTLs spread over 2-4 s (PXAT, so every key's
logical expiry time is known exactly), never reads them again, and then polls DBSIZE,
used_memory and RSS every 10 ms. Reports, from the moment 99% of the keys have logically
expired (T99):
  keys    time until DBSIZE <= 1% of N
  used    time until used_memory is back within 1% of the loaded amount above the baseline
  rss     the same for RSS (allocators may keep pages: "-" if not reached within the window)
  rss95   time until RSS is back within 5% of the loaded amount
the server CPU seconds (utime + stime from /proc/<pid>/stat) from the first logical expiry
until every key is gone (or the window ends), and the max / 99.9th percentile latency of PING
sent every millisecond by another client (its own process) from the first logical expiry until then
("quiet max": the max PING latency between the end of the load and the first expiry, the
noise floor of the machine).

usage: expiry.py [--stash PATH] [-n KEYS] [--window SECONDS]
"""
import argparse
import multiprocessing
import socket
import time

import peers

VALUE = b"v" * 24


def now_ms():
    return int(time.time() * 1000)


def recv_replies(sock, count):
    """Reads `count` +OK replies."""
    want = 5 * count
    got = 0
    while got < want:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the connection")
        got += len(chunk)


def commands(n, base_ms, ttl=False):
    """SET key value PXAT base+offset, offsets spread evenly over 0-2 s (or PX 100000)."""
    parts = []
    for i in range(n):
        if ttl:
            t = b"100000"
            opt = b"PX"
        else:
            t = b"%d" % (base_ms + (i * 7919) % 2000)
            opt = b"PXAT"
        parts.append(b"*5\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$24\r\n%s\r\n$%d\r\n%s\r\n"
                     b"$%d\r\n%s\r\n" % (i, VALUE, len(opt), opt, len(t), t))
    return parts


def send(port, parts, chunk=10000):
    with socket.create_connection(("127.0.0.1", port)) as s:
        for start in range(0, len(parts), chunk):
            batch = parts[start:start + chunk]
            s.sendall(b"".join(batch))
            recv_replies(s, len(batch))


def load(port, n):
    """Loads n keys whose expiry times are spread over 2 s starting 2 s after the load ends.

    The commands carry absolute times (PXAT), so every key's logical expiry is known exactly;
    the start is chosen from a timed trial (generation, then 5% of the keys loaded and
    flushed), so that every key is set 2-4 s before it expires even on a busy machine."""
    began = time.time()
    trial = commands(n // 20, 0, ttl=True)
    gen_s = (time.time() - began) * 20
    began = time.time()
    send(port, trial)
    load_s = (time.time() - began) * 20
    Client(port).call(b"FLUSHALL")
    base = now_ms() + int(1000 * 1.5 * (gen_s + load_s)) + 2000
    parts = commands(n, base)
    began = time.time()
    send(port, parts)
    took = time.time() - began
    if now_ms() > base - 1000:
        print(f"warning: the load ended only {(base - now_ms()) / 1000:.2f} s before the first "
              f"expiry", flush=True)
    expiries = sorted(base + (i * 7919) % 2000 for i in range(n))
    return expiries, took


def ping_loop(port, stop_at, out):
    """PING every millisecond until stop_at (unix s); sends back (sent_at_ms, latency_us)
    samples. Paced rather than back to back so that its own load stays out of the CPU figure;
    a stall of a millisecond or more still catches a PING."""
    samples = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while time.time() < stop_at:
            t0 = time.perf_counter()
            sent = time.time()
            s.sendall(b"PING\r\n")
            buf = b""
            while not buf.endswith(b"\r\n"):
                buf += s.recv(64)
            samples.append((int(sent * 1000), int((time.perf_counter() - t0) * 1e6)))
            time.sleep(0.001)
    out.send(samples)


class Client:
    """A minimal RESP client for the poller (redis-cli per poll would be too slow)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def call(self, *args):
        msg = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
        self.sock.sendall(msg)
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 16)
        line, rest = self.buf.split(b"\r\n", 1)
        if line[:1] in (b"+", b":", b"-"):
            self.buf = rest
            return line[1:]
        size = int(line[1:])
        while len(rest) < size + 2:
            rest += self.sock.recv(1 << 16)
        self.buf = rest[size + 2:]
        return rest[:size]

    def info_field(self, section, field):
        for line in self.call(b"INFO", section.encode()).split(b"\r\n"):
            if line.startswith(field.encode() + b":"):
                return int(line.split(b":", 1)[1])
        return 0


def run(start, n, window):
    peer = start()
    try:
        client = Client(peer.port)
        rss0 = peer.rss_bytes()
        used0 = client.info_field("memory", "used_memory")
        expiries, load_s = load(peer.port, n)
        cpu0 = None
        rss1 = peer.rss_bytes()
        used1 = client.info_field("memory", "used_memory")
        keys1 = int(client.call(b"DBSIZE"))
        t99 = expiries[int(0.99 * n) - 1] / 1000
        first = expiries[0] / 1000
        end = t99 + window
        parent, child = multiprocessing.Pipe()
        pinger = multiprocessing.Process(target=ping_loop, args=(peer.port, end, child))
        pinger.start()
        t_keys = t_used = t_rss = t_rss95 = None
        cpu_done = None
        while time.time() < end:
            now = time.time()
            if cpu0 is None:
                if now < first:
                    time.sleep(0.001)
                    continue
                cpu0 = peer.cpu_seconds()  # the mass expiry begins
            keys = int(client.call(b"DBSIZE"))
            used = client.info_field("memory", "used_memory")
            rss = peer.rss_bytes()
            if t_keys is None and keys <= n // 100:
                t_keys = now
            if t_used is None and now >= first and used - used0 <= (used1 - used0) / 100:
                t_used = now
            if t_rss is None and now >= first and rss - rss0 <= (rss1 - rss0) / 100:
                t_rss = now
            if t_rss95 is None and now >= first and rss - rss0 <= (rss1 - rss0) / 20:
                t_rss95 = now
            if keys == 0 and cpu_done is None:
                cpu_done = peer.cpu_seconds() - cpu0
            if keys == 0 and t_used is not None and t_rss is not None:
                break
            time.sleep(0.01)
        if cpu_done is None:
            cpu_done = peer.cpu_seconds() - cpu0
        samples = parent.recv()
        pinger.join()
        during = sorted(lat for (at, lat) in samples if at >= first * 1000)
        quiet = [lat for (at, lat) in samples if at < first * 1000]
        rss_end = peer.rss_bytes()
        return {
            "loaded": keys1,
            "load_s": load_s,
            "keys": None if t_keys is None else t_keys - t99,
            "used": None if t_used is None else t_used - t99,
            "rss": None if t_rss is None else t_rss - t99,
            "rss95": None if t_rss95 is None else t_rss95 - t99,
            "cpu": cpu_done,
            "ping_max_ms": during[-1] / 1000 if during else None,
            "ping_p999_ms": during[int(len(during) * 0.999)] / 1000 if during else None,
            "pings": len(during),
            "quiet_max_ms": max(quiet) / 1000 if quiet else None,
            "used_mb": (used1 - used0) / 1e6,
            "rss_mb": (rss1 - rss0) / 1e6,
            "rss_left_mb": (rss_end - rss0) / 1e6,
        }
    finally:
        peer.stop()


def fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--window", type=float, default=5.0,
                    help="seconds after T99 to wait for keys and memory to go")
    args = ap.parse_args()
    print(f"{args.n} keys with TTLs spread over 2-4 s; times in s after 99% logically expired")
    print(f"{'server':<8}{'load s':>7}{'loaded':>9}{'used MB':>9}{'RSS MB':>8}{'keys':>8}"
          f"{'used':>8}{'rss':>8}{'rss95':>8}"
          f"{'RSS left MB':>12}{'CPU s':>8}{'PING max ms':>12}{'p99.9 ms':>10}{'quiet max':>10}")
    for name, start in (("redis", peers.start_redis),
                        ("stash", lambda: peers.start_stash(args.stash))):
        r = run(start, args.n, args.window)
        print(f"{name:<8}{r['load_s']:>7.2f}{r['loaded']:>9}{r['used_mb']:>9.1f}{r['rss_mb']:>8.1f}"
              f"{fmt(r['keys']):>8}{fmt(r['used']):>8}{fmt(r['rss']):>8}{fmt(r['rss95']):>8}"
              f"{r['rss_left_mb']:>12.1f}{r['cpu']:>8.2f}{fmt(r['ping_max_ms'], '.2f'):>12}"
              f"{fmt(r['ping_p999_ms'], '.2f'):>10}{fmt(r['quiet_max_ms'], '.2f'):>10}", flush=True)


if __name__ == "__main__":
    main()
