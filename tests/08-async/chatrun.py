"""Helpers for stage 8's tests: the chat's clients, on top of serverun.Server.

Server (tests/harness/serverun.py) runs the stage-8 `serve` (KIT_SERVE);
these add the chat's calls (post, get, stats) and many raw long-poll
clients at once, read with selectors, for the tests with hundreds of
parked clients. Every wait is bounded.
"""
from __future__ import annotations

import json
import os
import selectors
import socket
import time

from serverun import RawClient, Server

POLL_TIMEOUT_S = 30.0  # long enough never to fire unless a test wants it to


def chat_server(*args: str, backend: str | None = None, poll_timeout: float = POLL_TIMEOUT_S,
                **kwargs) -> Server:
    return Server("--poll-timeout", str(poll_timeout), *args, backend=backend, **kwargs)


def post(server: Server, message, *, raw: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, dict]:
    """POST /chat/post: (status, JSON answer)."""
    body = raw if raw is not None else json.dumps({"message": message}).encode()
    conn = server.http()
    try:
        conn.request("POST", "/chat/post", body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def get(server: Server, path: str, timeout: float = 10.0) -> tuple[int, dict]:
    status, body = server.get(path, timeout=timeout)
    return status, json.loads(body) if body else {}


def chat_stats(server: Server) -> dict:
    status, body = get(server, "/chat/stats")
    assert status == 200, f"expected /chat/stats to answer 200, got {status}"
    return body


def park(server: Server, index: int, timeout: float = 10.0) -> RawClient:
    """A raw client whose GET /chat/get/index is sent (and, once the server
    has it, parked)."""
    client = server.connect(timeout=timeout)
    client.send(f"GET /chat/get/{index} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return client


def settled_fd_count(server: Server, limit_s: float = 5.0) -> int:
    """The server's fd count once it stops changing (a connection just used
    by a test's own request may still be closing)."""
    last = server.fd_count()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = server.fd_count()
        if now == last:
            return now
        last = now
    return last


def task_count(pid: int) -> int:
    """The threads of process `pid` (/proc/PID/task)."""
    return len(os.listdir(f"/proc/{pid}/task"))



def open_parked(server: Server, count: int, index: int) -> list[socket.socket]:
    """`count` connections, each with GET /chat/get/index sent."""
    request = f"GET /chat/get/{index} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    clients = []
    for _ in range(count):
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(request)
        clients.append(sock)
    return clients


def read_answers(clients: list[socket.socket], complete, time_limit_s: float,
                 linger_s: float = 0.0) -> tuple[list[bytes], float]:
    """Reads every client until complete(bytes) holds for each, then `linger_s`
    more (to see any extra bytes). Returns what each got and when (monotonic)
    the last one became complete."""
    got = {sock: b"" for sock in clients}
    pending = set(clients)
    last_complete = time.monotonic()
    with selectors.DefaultSelector() as selector:
        for sock in clients:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + time_limit_s
        while pending and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                chunk = sock.recv(65536)
                got[sock] += chunk
                if not chunk:
                    selector.unregister(sock)
                    pending.discard(sock)
                elif sock in pending and complete(got[sock]):
                    pending.discard(sock)
                    last_complete = time.monotonic()
        linger_end = time.monotonic() + linger_s
        while time.monotonic() < linger_end:
            for key, _ in selector.select(timeout=max(0.0, linger_end - time.monotonic())):
                chunk = key.fileobj.recv(65536)
                got[key.fileobj] += chunk
                if not chunk:
                    selector.unregister(key.fileobj)
    assert not pending, f"{len(pending)} of {len(clients)} clients got no whole answer in " \
                        f"{time_limit_s} s"
    return [got[sock] for sock in clients], last_complete


def one_answer(message_id: int, text: str) -> bytes:
    """The exact body of /chat/get/message_id's answer."""
    return json.dumps({"id": message_id, "message": text}, separators=(",", ":")).encode()
