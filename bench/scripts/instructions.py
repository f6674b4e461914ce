#!/usr/bin/env python3
"""User-space instructions each server executes per request, counted by callgrind.

Wall-clock throughput on a shared 2-core VM swings by 20% between runs; instruction counts do
not. Each server runs under `valgrind --tool=callgrind` with instrumentation off during start-up
(it is switched on once the server answers PING), then redis-benchmark sends the same requests
to each (one connection set, pipelined), and the total instruction count is divided by the
number of requests. Kernel time (the syscalls) is not counted, for either server. Stash runs
with one worker thread so its figure is not split across threads.

    bench/scripts/instructions.py [--stash build/server/stash-server] [-n 100000] [--tests set,get]
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

import peers


def count(name, argv, port, tests, n, pipeline, clients):
    out = tempfile.mktemp(prefix=f"callgrind-{name}-")
    log = out + ".log"
    with open(log, "w") as logf:
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                 f"--callgrind-out-file={out}", *argv],
                                stdout=subprocess.DEVNULL, stderr=logf)
    try:
        for _ in range(1200):  # valgrind start-up is slow
            if peers.ping(port):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{name} did not answer PING under valgrind")
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                       capture_output=True)
        for test in tests:
            subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-P", str(pipeline),
                            "-c", str(clients), "-r", str(n), "-t", test, "-q"],
                           check=True, capture_output=True)
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(log) as f:
        m = re.search(r"I\s+refs:\s+([\d,]+)", f.read())
    for path in (out, log):
        if os.path.exists(path):
            os.unlink(path)
    if not m:
        raise RuntimeError(f"{name}: no instruction count in the callgrind log")
    return int(m.group(1).replace(",", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stash", default=peers.default_stash_binary())
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--tests", default="set,get,incr")
    args = ap.parse_args()
    tests = args.tests.split(",")
    results = {}
    for test in tests:
        for name in ("redis", "stash"):
            port = peers.free_port()
            if name == "redis":
                argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"]
            else:
                argv = [args.stash, "--port", str(port), "--bind", "127.0.0.1", "--threads", "1"]
            results[(name, test)] = count(name, argv, port, [test], args.n, args.pipeline,
                                          args.clients) / args.n
        r, s = results[("redis", test)], results[("stash", test)]
        print(f"{test:6s} P{args.pipeline}: redis {r:7.0f}  stash {s:7.0f} instructions/request "
              f"(stash/redis {s / r:.2f})", flush=True)


if __name__ == "__main__":
    main()
