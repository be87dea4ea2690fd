"""Runs the stage 7 `serve` program and talks to it, as stage 7's tests do.

Server() starts the program named by KIT_SERVE (CTest sets it to the
solution's or the learner's build), reads its first line
(`listening on http://127.0.0.1:PORT/`) and offers the clients the tests
use: Python's http.client (get()), raw sockets (connect(), with
read_response() for one answer at a time), and the numbers to watch the
process by (/proc: its fds, its CPU time). stop() sends SIGTERM and waits
for the exit; leaving the `with` block kills what is still running, and a
sanitizer report on stderr fails the test either way.
"""
from __future__ import annotations

import functools
import http.client
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import time

import pytest

from fetchrun import SANITIZER_MARKS, hang_diagnosis

LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)/")
TSAN_SIGNAL_AGAIN_S = 5.0  # see Server.wait()
START_LIMIT_S = 20.0  # a sanitizer build starts slowly on a busy machine
CLIENT_TIMEOUT_S = 10.0  # no answer this long: the server is broken or hung


def serve_program() -> str:
    """The serve program under test, from KIT_SERVE."""
    path = os.environ.get("KIT_SERVE")
    assert path, "KIT_SERVE is not set: run these tests through ctest or ./kit check"
    assert os.access(path, os.X_OK), f"KIT_SERVE={path} is not an executable: build it first"
    return path


@functools.cache
def built_with_tsan(program: str) -> bool:
    """Whether `program` carries ThreadSanitizer's runtime."""
    with open(program, "rb") as f:
        return b"__tsan_init" in f.read()


def raise_fd_limit(wanted: int) -> None:
    """Lets this process (and the server it starts) open `wanted` fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} fds, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class Server:
    """One running serve program (see the module comment)."""

    def __init__(self, *args: str, backend: str | None = None, preexec_fn=None) -> None:
        self.cmd = [serve_program()]
        if backend:
            self.cmd += ["--backend", backend]
        self.cmd += list(args)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=preexec_fn)
        self._stderr = b""
        self._signal: int | None = None
        first = self._first_line()
        match = LISTENING.fullmatch(first)
        assert match, f"expected `listening on http://ADDR:PORT/` first, got {first!r}; " \
                      f"stderr: {self._drain_stderr()!r}"
        self.host, self.port = match[1], int(match[2])

    def _first_line(self) -> str:
        line = b""
        deadline = time.monotonic() + START_LIMIT_S
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, left))
            if not ready:
                self.proc.kill()
                raise AssertionError(f"no `listening on` line within {START_LIMIT_S} s: {self.cmd}")
            byte = os.read(self.proc.stdout.fileno(), 1)
            if not byte:
                self.proc.wait()
                raise AssertionError(f"the server exited ({self.proc.returncode}) before "
                                     f"listening; stderr: {self._drain_stderr()!r}")
            line += byte
        return line.decode().strip()

    def _drain_stderr(self) -> str:
        if self.proc.poll() is not None:
            self._stderr += self.proc.stderr.read()
        return self._stderr.decode(errors="replace")

    # --- clients ---------------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def http(self, timeout: float = CLIENT_TIMEOUT_S) -> http.client.HTTPConnection:
        """A keep-alive http.client connection to the server."""
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def get(self, path: str, method: str = "GET", body: bytes | None = None,
            timeout: float = CLIENT_TIMEOUT_S) -> tuple[int, bytes]:
        """One request on a fresh connection: (status, body)."""
        conn = self.http(timeout)
        try:
            conn.request(method, path, body=body)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def timed_get(self, path: str, **kwargs) -> tuple[int, bytes, float]:
        """get(), and how long it took in seconds."""
        began = time.monotonic()
        status, body = self.get(path, **kwargs)
        return status, body, time.monotonic() - began

    def stats(self) -> dict:
        status, body = self.get("/stats")
        assert status == 200, f"expected /stats to answer 200, got {status}"
        return json.loads(body)

    def connect(self, timeout: float = CLIENT_TIMEOUT_S) -> "RawClient":
        """A raw TCP connection, to send exactly the bytes a test wants."""
        return RawClient(socket.create_connection((self.host, self.port), timeout=timeout))

    # --- the process -----------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def fd_count(self) -> int:
        """How many fds the server has open now (/proc/PID/fd)."""
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (/proc/PID/stat)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def send(self, sig: int) -> None:
        """Sends the server `sig` (SIGTERM, SIGINT: a graceful shutdown)."""
        self._signal = sig
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, limit_s: float = 15.0) -> tuple[int, str]:
        """Sends `sig`, waits for the exit: (exit status, stderr). A server
        still running after `limit_s` fails the test, saying where it hangs."""
        self.send(sig)
        return self.wait(limit_s)

    def wait(self, limit_s: float) -> tuple[int, str]:
        if self._signal is not None and built_with_tsan(self.cmd[0]):
            try:
                self.proc.wait(timeout=min(TSAN_SIGNAL_AGAIN_S, limit_s))
            except subprocess.TimeoutExpired:
                # ThreadSanitizer runs an asynchronous signal's handler only
                # at the thread's next intercepted call: a signal that lands
                # just before the loop blocks in select() waits there until
                # something else wakes the loop (seen once in a CI run). A
                # plain build runs the handler at once and gets one signal;
                # the service takes a second one as it took the first.
                self.proc.send_signal(self._signal)
        try:
            _, err = self.proc.communicate(timeout=limit_s)
        except subprocess.TimeoutExpired:
            blocked = hang_diagnosis(self.pid)
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"the server did not exit within {limit_s} s; it was "
                                 f"{blocked}") from None
        self._stderr += err
        text = self._stderr.decode(errors="replace")
        for mark in SANITIZER_MARKS:
            assert mark not in text, f"sanitizer report:\n{text}"
        return self.proc.returncode, text

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.running():
            self.proc.kill()
        _, err = self.proc.communicate()
        self._stderr += err
        text = self._stderr.decode(errors="replace")
        if exc_info[0] is None:
            for mark in SANITIZER_MARKS:
                assert mark not in text, f"sanitizer report:\n{text}"


class RawClient:
    """A TCP connection that reads HTTP answers one at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def read_response(self, head: bool = False) -> tuple[int, dict[str, str], bytes]:
        """One answer: (status, fields with lower-case names, body). Fails on
        EOF before a whole answer. `head`: the answer to a HEAD request, whose
        Content-Length is the GET answer's, with no body after it."""
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), f"expected an answer, got EOF after {self.buffer!r}"
        text, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = text.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
        length = 0 if head else int(fields.get("content-length", "0"))
        while len(self.buffer) < length:
            assert self._fill(), "expected the whole body, got EOF"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, fields, body

    def closed_cleanly(self, limit_s: float = CLIENT_TIMEOUT_S) -> bool:
        """Waits for the server's EOF: True for an orderly close with no more
        bytes, False for a reset; fails if bytes arrive or nothing does."""
        self.sock.settimeout(limit_s)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return self.buffer == b""
                self.buffer += chunk
        except ConnectionResetError:
            return False
        except socket.timeout:
            raise AssertionError(f"expected the server to close within {limit_s} s") from None

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
