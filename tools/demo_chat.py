#!/usr/bin/env python3
"""demo_chat: the --chat scenario of ./kit demo (stage 8): parked clients, one thread.

Stage 8's `serve` starts with --threads 4 and a long --poll-timeout, and
prints its URL (open http://127.0.0.1:PORT/chat/ in a browser to watch the
messages arrive during the demo; --hold S keeps the server up S seconds
more at the end). Then, with real sockets on 127.0.0.1:

1. CLIENTS long-poll clients each ask for the next message and are
   parked; the demo reads the server's threads and memory
   (/proc/PID/status) before and after they park;
2. one POST /chat/post: how long until the last parked client had it;
3. THREADS POSTs to /chat/slowbot fill the pool (each worker thinks a
   second), and while they think one more message is posted: it reaches
   every client at once, and the slowbots' messages follow, posted into
   the loop by the workers.

Every client asks again on the same connection after each answer, as the
chat page does, so it sees every message once. compare_chat(args,
trace_dir) takes the arguments of demo.py's other scenarios and returns a
demo.Demo with its own show().

    ./kit demo --chat                        (builds, then runs this)
"""
from __future__ import annotations

import argparse
import json
import re
import selectors
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import demo
import demo_serve

CHAT_STAGE = 8  # the first stage with the chat
CLIENTS = 200
THREADS = 4
THINK_S = 1.0  # each slowbot's thought
HUMAN_AFTER_S = 0.2  # the message posted while the slowbots think
POLL_TIMEOUT_S = 60  # longer than the demo: nobody is released by the timeout
LIMIT_S = 20  # no phase may hold the class longer than this


@dataclass
class Row:
    """One measured line of the demo."""

    what: str
    figure: str


@dataclass
class ChatRun:
    """What the run measured; the rows are printed as they are."""

    url: str
    clients: int
    rows: list[Row] = field(default_factory=list)
    fanout_ms: float = 0.0
    threads: int = 0
    bytes_per_client: float = 0.0
    human_ms: float = 0.0  # the message posted while the pool was busy: until the last had it
    slowbot_ms: list[float] = field(default_factory=list)  # each slowbot message, last client


# --- Talking to the server -----------------------------------------------------


def request(port: int, method: str, path: str, body: str = "") -> tuple[int, bytes]:
    """One request on its own connection; (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=LIMIT_S) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                     f"{body}".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
    if not match:
        raise demo.DemoError(f"{method} {path}: no HTTP answer")
    return int(match.group(1)), payload


def stats(port: int) -> dict:
    status, body = request(port, "GET", "/chat/stats")
    if status != 200:
        raise demo.DemoError(f"/chat/stats answered {status}")
    return json.loads(body)


def post(port: int, message: str) -> None:
    status, body = request(port, "POST", "/chat/post", json.dumps({"message": message}))
    if status != 200:
        raise demo.DemoError(f"/chat/post answered {status}: {body[:80]!r}")


def proc_status(pid: int) -> dict[str, int]:
    """Threads and VmRSS (KiB) of the server, from /proc/PID/status (Linux)."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(":")
            if name in ("Threads", "VmRSS"):
                fields[name] = int(value.split()[0])
    except OSError:
        pass  # not Linux: the rows say "?"
    return fields


class Waiters:
    """CLIENTS long-poll connections, each asking for the next message it has not seen."""

    def __init__(self, port: int, clients: int, first: int):
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.seen: dict[int, dict[int, float]] = {}  # message id -> client -> when (monotonic)
        for _ in range(clients):
            sock = socket.create_connection(("127.0.0.1", port), timeout=LIMIT_S)
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, {"buffer": b"", "next": first})
            self._ask(sock, first)

    def _ask(self, sock: socket.socket, message: int) -> None:
        sock.setblocking(True)
        sock.sendall(f"GET /chat/get/{message} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        sock.setblocking(False)

    def wait_for(self, message: int, clients: int) -> None:
        """Read answers (asking again after each) until every client has `message`."""
        deadline = time.monotonic() + LIMIT_S
        while len(self.seen.get(message, {})) < clients:
            if time.monotonic() > deadline:
                raise demo.DemoError(f"only {len(self.seen.get(message, {}))} of {clients} "
                                     f"clients had message {message} after {LIMIT_S} s")
            for key, _ in self.selector.select(timeout=0.5):
                self._read(key)

    def _read(self, key: selectors.SelectorKey) -> None:
        sock, state = key.fileobj, key.data
        chunk = sock.recv(65536)
        if not chunk:
            raise demo.DemoError("the server closed a parked client's connection")
        state["buffer"] += chunk
        while True:
            head, blank, rest = state["buffer"].partition(b"\r\n\r\n")
            if not blank:
                return
            length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            size = int(length.group(1)) if length else 0
            if len(rest) < size:
                return
            state["buffer"] = rest[size:]
            if not head.startswith(b"HTTP/1.1 200"):
                raise demo.DemoError(f"a parked client got {head.splitlines()[0]!r}")
            answer = json.loads(rest[:size])
            self.seen.setdefault(answer["id"], {})[id(sock)] = time.monotonic()
            state["next"] = answer["id"] + 1
            self._ask(sock, state["next"])

    def last(self, message: int) -> float:
        return max(self.seen[message].values())

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()


def wait_parked(port: int, count: int) -> None:
    deadline = time.monotonic() + LIMIT_S
    while stats(port)["parked"] < count:
        if time.monotonic() > deadline:
            raise demo.DemoError(f"{count} clients did not park within {LIMIT_S} s")
        time.sleep(0.02)


# --- The scenario ----------------------------------------------------------------


def choose_chat_program(args: argparse.Namespace) -> Path:
    """--stage N, or the newest stage with a serve program; stage 8 or later."""
    return demo_serve.choose_serve_program(
        args, CHAT_STAGE, f"--chat needs stage {CHAT_STAGE} or later (asynchronous applications)")


def run_chat(program: Path, options: list[str], clients: int = CLIENTS,
             hold_s: float = 0.0) -> ChatRun:
    """Starts serve, runs the three steps, stops it (SIGTERM, exit 0)."""
    process, port = demo_serve.start_serve(
        [str(program), "--port", "0", "--threads", str(THREADS), "--poll-timeout",
         str(POLL_TIMEOUT_S), "--slowbot-think", f"{THINK_S:g}", *options])
    run = ChatRun(f"http://127.0.0.1:{port}/chat/", clients)
    print(f"The chat is at {run.url} (open it in a browser to watch)", flush=True)
    waiters = None
    try:
        before = proc_status(process.pid)
        waiters = Waiters(port, clients, stats(port)["messages"])
        wait_parked(port, clients)
        parked = proc_status(process.pid)
        run.threads = parked.get("Threads", 0)
        if "VmRSS" in before and "VmRSS" in parked:
            run.bytes_per_client = (parked["VmRSS"] - before["VmRSS"]) * 1024 / clients
        began = time.monotonic()
        post(port, "hello from ./kit demo --chat")
        waiters.wait_for(0, clients)
        run.fanout_ms = (waiters.last(0) - began) * 1000
        run.rows += [
            Row(f"{clients} clients parked on /chat/get/0",
                f"{run.threads or '?'} threads in the server, "
                f"{run.bytes_per_client:,.0f} bytes of memory per parked client"),
            Row("one POST /chat/post", f"the last of the {clients} had it after "
                f"{run.fanout_ms:.1f} ms"),
        ]
        run_slowbots(port, waiters, clients, run)
        if hold_s > 0:
            print(f"Holding the server {hold_s:g} s more: {run.url}", flush=True)
            time.sleep(hold_s)
    finally:
        if waiters is not None:
            waiters.close()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            raise demo.DemoError(f"serve did not exit within {LIMIT_S} s of SIGTERM") from None
    if code != 0:
        raise demo.DemoError(f"serve exited with {code} after SIGTERM, not 0")
    return run


def run_slowbots(port: int, waiters: Waiters, clients: int, run: ChatRun) -> None:
    """THREADS slowbots fill the pool; a message posted meanwhile flows at once."""
    began = time.monotonic()
    statuses: list[int] = []
    bots = [threading.Thread(
        target=lambda: statuses.append(request(port, "POST", "/chat/slowbot")[0]))
        for _ in range(THREADS)]
    for bot in bots:
        bot.start()
    time.sleep(HUMAN_AFTER_S)
    posted = time.monotonic()
    post(port, "a human, while the pool thinks")
    waiters.wait_for(1, clients)
    run.human_ms = (waiters.last(1) - posted) * 1000
    for message in range(2, 2 + THREADS):
        waiters.wait_for(message, clients)
        run.slowbot_ms.append((waiters.last(message) - began) * 1000)
    for bot in bots:
        bot.join(LIMIT_S)
    if statuses != [202] * THREADS:
        raise demo.DemoError(f"the slowbots answered {statuses}, not 202 each")
    run.rows += [
        Row(f"{THREADS} POST /chat/slowbot", f"all {THREADS} pool workers think "
            f"{THINK_S:g} s each"),
        Row(f"a message {HUMAN_AFTER_S * 1000:.0f} ms later",
            f"the last of the {clients} had it after {run.human_ms:.1f} ms"),
        Row("the slowbots' messages", "the last of the clients had them at "
            + ", ".join(f"{ms / 1000:.2f} s" for ms in run.slowbot_ms)),
    ]


def chat_effect(run: ChatRun) -> str:
    """The closing line, from the measured rows."""
    return (f"{run.clients} parked clients cost {run.bytes_per_client / 1024:.1f} KiB each and no "
            f"thread ({run.threads} threads in all); a message reached the last of them in "
            f"{run.fanout_ms:.1f} ms, and {run.human_ms:.1f} ms while every worker was busy: "
            f"the chat lives in the loop.")


def compare_chat(args: argparse.Namespace, trace_dir: Path) -> demo.Demo:  # noqa: ARG001
    """The scenario; trace_dir is unused (the chat draws no chart)."""
    program = choose_chat_program(args)
    print(f"Running {program.parent.name}/serve with {CLIENTS} long-poll clients...", flush=True)
    run = run_chat(program, ["--backend", args.backend] if args.backend else [],
                   hold_s=getattr(args, "hold", 0.0) or 0.0)
    intro = (f"Stage {demo.stage_number(program)}'s serve, --threads {THREADS}; "
             f"the chat at {run.url}")
    return demo.Demo(intro, [], chat_effect(run),
                     show=lambda result, color, style: show(result, run, color), traces=False)


def show(result: demo.Demo, run: ChatRun, color: bool) -> None:
    print(result.intro)
    print()
    width = max(len(row.what) for row in run.rows)
    for row in run.rows:
        print(f"  {row.what:<{width}}  {row.figure}")
    print()
    print(demo.bold(result.conclusion, color))
