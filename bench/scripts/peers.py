"""Starts redis-server and stash-server side by side on free loopback ports, for benchmarks.

Both run with persistence off and one process each; CPU time is read from /proc/<pid>/stat and
RSS from /proc/<pid>/status, so the figures are the servers' own, not the load generator's.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Peer:
    def __init__(self, name, argv_for_port):
        self.name = name
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"stash-bench-{name}-")
        self.proc = subprocess.Popen(argv_for_port(self.port, self.dir),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            if ping(self.port):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}")
            time.sleep(0.01)
        raise RuntimeError(f"{name} did not answer PING")

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def command(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                             text=True, check=True)
        return out.stdout

    def info_field(self, section, field):
        for line in self.command("info", section).splitlines():
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
        return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_redis(extra=()):
    return Peer("redis", lambda port, d: ["redis-server", "--port", str(port), "--bind",
                                          "127.0.0.1", "--save", "", "--appendonly", "no",
                                          "--dir", d, *extra])


def start_stash(binary, extra=()):
    return Peer("stash", lambda port, d: [binary, "--port", str(port), "--bind", "127.0.0.1",
                                          *extra])


def default_stash_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "server", "stash-server")
