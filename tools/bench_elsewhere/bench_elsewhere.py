#!/usr/bin/env python3
"""The appendix's benchmark: 1,000 URLs at once, the kit's stage 5 and each library.

A command, not a test (lessons/appendix-elsewhere.md reads its table):

    cmake --preset release && cmake --build --preset release
    /usr/bin/python3 tools/bench_elsewhere/bench_elsewhere.py [--urls 1000] [--build-dir build/release]

It starts one local HTTP server (single-threaded, non-blocking, in this
process: it answers each request at once with a small body and closes),
then runs every fetch program once on the same N URLs of that server, one
program after another, and prints a Markdown table: the program's own
`total` line (ms), the wall time of the process including its start-up
(Perl's interpreter and modules count here), and its CPU time in user
space and in the kernel, from wait4(). One run each, as the lesson says: read differences of 2x and
more, not of 10 %. Every program must report ok for every URL, or its row
says how many failed.
"""
from __future__ import annotations

import argparse
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ELSEWHERE = ROOT / "src" / "elsewhere"


class Server:
    """A tiny non-blocking HTTP/1.0 server on 127.0.0.1: read the request
    head, answer 200 with `body_bytes`, close. One thread, one selector."""

    def __init__(self, body_bytes: int) -> None:
        body = b"x" * body_bytes
        self.response = (b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % len(body)) + body
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4096)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        pending: dict[socket.socket, bytearray] = {}  # request bytes, or what is left to send
        while not self.stopping.is_set():
            for key, events in self.selector.select(timeout=0.1):
                sock = key.fileobj
                if sock is self.listener:
                    self.accept(pending)
                elif events & selectors.EVENT_READ:
                    self.read(sock, pending)
                else:
                    self.write(sock, pending)
        for sock in pending:
            sock.close()

    def accept(self, pending) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return
            conn.setblocking(False)
            pending[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ)

    def read(self, sock, pending) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        pending[sock] += data
        if not data:
            return self.close(sock, pending)
        if b"\r\n\r\n" in pending[sock]:
            pending[sock] = bytearray(self.response)
            self.selector.modify(sock, selectors.EVENT_WRITE)
            self.write(sock, pending)

    def write(self, sock, pending) -> None:
        try:
            sent = sock.send(pending[sock])
        except BlockingIOError:
            return
        except OSError:
            return self.close(sock, pending)
        del pending[sock][:sent]
        if not pending[sock]:
            self.close(sock, pending)

    def close(self, sock, pending) -> None:
        self.selector.unregister(sock)
        del pending[sock]
        sock.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        self.listener.close()


def programs(build: Path) -> list[tuple[str, list[str]]]:
    kit = build / "solutions" / "05-timers" / "fetch"
    return [
        ("kit stage 5, epoll", [str(kit), "--backend", "epoll"]),
        ("kit stage 5, poll", [str(kit), "--backend", "poll"]),
        ("libev (C)", [str(build / "elsewhere" / "fetch-libev")]),
        ("libuv (C)", [str(build / "elsewhere" / "fetch-libuv")]),
        ("Boost.Asio (C++)", [str(build / "elsewhere" / "fetch-asio")]),
        ("AnyEvent (Perl)", [str(ELSEWHERE / "fetch_anyevent.pl")]),
        ("EV (Perl)", [str(ELSEWHERE / "fetch_ev.pl")]),
        ("Event (Perl)", [str(ELSEWHERE / "fetch_event.pl")]),
        ("POE (Perl)", [str(ELSEWHERE / "fetch_poe.pl")]),
    ]


def run(command: list[str], urls: list[str], timeout_s: float) -> dict:
    """Runs one program; returns its total, wall, user and system ms and the ok count."""
    started = time.monotonic()
    proc = subprocess.Popen(command + ["--timeout", str(timeout_s)] + urls,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Read the pipes while it runs (a thousand report lines fill one), then reap.
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, a=a: a.append(s.read()))
               for s, a in ((proc.stdout, out), (proc.stderr, err))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall_ms = (time.monotonic() - started) * 1000
    for reader in readers:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = out[0].splitlines()
    total = lines[-1].split() if lines and lines[-1].startswith("total ") else None
    return {
        "total_ms": int(total[1]) if total else None,
        "wall_ms": wall_ms,
        "user_ms": usage.ru_utime * 1000,
        "sys_ms": usage.ru_stime * 1000,
        "ok": sum(line.startswith("ok ") for line in lines),
        "stderr": err[0].strip(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000, help="targets per run (default 1000)")
    parser.add_argument("--body-bytes", type=int, default=1000, help="body of each answer")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "release",
                        help="where the C and C++ programs are built (default build/release)")
    parser.add_argument("--timeout", type=float, default=60, help="each program's --timeout")
    args = parser.parse_args()
    if not 1 <= args.urls <= 20000:
        parser.error("--urls must be from 1 to 20000")

    # Each program holds one socket per URL at once, and the server as many.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * args.urls + 256
    if hard != resource.RLIM_INFINITY and hard < need:
        parser.error(f"the hard limit on open files ({hard}) is below {need}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))

    server = Server(args.body_bytes)
    urls = [f"http://127.0.0.1:{server.port}/{i}" for i in range(args.urls)]
    load = os.getloadavg()[0]  # other work on the machine stretches wall times, not CPU times
    print(f"{args.urls} URLs at once from one local server, one run each "
          f"({os.cpu_count()} CPUs, load average {load:.1f}, {time.strftime('%Y-%m-%d')})\n")
    print("| program | its total (ms) | wall, with start-up (ms) | CPU user (ms) | CPU sys (ms) "
          "| ok |")
    print("|---|---:|---:|---:|---:|---:|")
    status = 0
    try:
        for name, command in programs(args.build_dir):
            if not os.access(command[0], os.X_OK):
                print(f"| {name} | not built: {command[0]} | | | | |")
                status = 1
                continue
            r = run(command, urls, args.timeout)
            ok = f"{r['ok']}" if r["ok"] == args.urls else f"**{r['ok']}** ({r['stderr'][:60]})"
            total = r["total_ms"] if r["total_ms"] is not None else "—"
            print(f"| {name} | {total} | {r['wall_ms']:.0f} | {r['user_ms']:.0f} "
                  f"| {r['sys_ms']:.0f} | {ok} |", flush=True)
            status |= r["ok"] != args.urls
    finally:
        server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
