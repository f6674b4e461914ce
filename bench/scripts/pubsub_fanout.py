#!/usr/bin/env python3
"""Pub/Sub fan-out against redis-server and stash-server in one run, side by side.

S subscriber connections SUBSCRIBE to one channel and read as fast as they can; redis-benchmark
then sends M PUBLISH commands (pipelined). Reported per server: the time until every subscriber
has received all M messages (deliveries per second = M * S / time) and the server's CPU seconds
per million deliveries (from /proc). Machines here are shared and noisy: compare the ratios.

usage: pubsub_fanout.py [--stash PATH] [-n MESSAGES] [-s SUBSCRIBERS] [--payload BYTES]
                        [--threads N]
"""
import argparse
import socket
import subprocess
import threading
import time

import peers


def frame_size(channel, payload):
    def bulk(s):
        return len(f"${len(s)}\r\n") + len(s) + 2
    return len("*3\r\n") + bulk("message") + bulk(channel) + bulk(payload)


def subscriber(port, channel, expected_bytes, ready, done):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"SUBSCRIBE {channel}\r\n".encode())
    confirm = b""
    while confirm.count(b"\r\n") < 6:  # *3, $9, subscribe, $N, channel, :1
        confirm += s.recv(4096)
    received = len(confirm) - len(confirm.split(b":1\r\n", 1)[0]) - 4
    ready.release()
    while received < expected_bytes:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        received += len(chunk)
    s.close()
    done.release()


def run(peer, messages, subs, payload, pipeline):
    channel = "bench"
    per_sub = messages * frame_size(channel, "x" * payload)
    ready, done = threading.Semaphore(0), threading.Semaphore(0)
    threads = [threading.Thread(target=subscriber,
                                args=(peer.port, channel, per_sub, ready, done), daemon=True)
               for _ in range(subs)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    cpu_before = peer.cpu_seconds()
    start = time.monotonic()
    subprocess.run(["redis-benchmark", "-p", str(peer.port), "-n", str(messages), "-c", "1",
                    "-P", str(pipeline), "-q", "PUBLISH", channel, "x" * payload],
                   capture_output=True, check=True)
    for _ in threads:
        done.acquire()
    elapsed = time.monotonic() - start
    cpu = peer.cpu_seconds() - cpu_before
    deliveries = messages * subs
    return deliveries / elapsed, cpu / deliveries * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=200000, help="messages published")
    ap.add_argument("-s", type=int, default=8, help="subscribers")
    ap.add_argument("--payload", type=int, default=32)
    ap.add_argument("-P", type=int, default=16, help="publisher pipeline depth")
    ap.add_argument("--threads", type=int, default=0, help="stash worker threads (0 = cores)")
    args = ap.parse_args()
    extra = ["--threads", str(args.threads)] if args.threads else []
    redis = peers.start_redis()
    stash = peers.start_stash(args.stash, extra)
    try:
        results = {}
        for peer in (redis, stash, stash, redis):  # alternate who goes first
            rate, cpu = run(peer, args.n, args.s, args.payload, args.P)
            results.setdefault(peer.name, []).append((rate, cpu))
        best = {name: (max(r for r, _ in v), min(c for _, c in v)) for name, v in results.items()}
        print(f"{args.s} subscribers, {args.n} messages of {args.payload} bytes, pipeline {args.P}")
        print("| server | deliveries/s | ratio | CPU s per M deliveries |")
        print("|---|---|---|---|")
        for name in ("redis", "stash"):
            rate, cpu = best[name]
            print(f"| {name} | {rate:.0f} | {rate / best['redis'][0]:.2f} | {cpu:.2f} |")
    finally:
        redis.stop()
        stash.stop()


if __name__ == "__main__":
    main()
