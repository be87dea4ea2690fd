"""clients: the two small HTTP clients of bench_serve.py, on blocking sockets.

check_hello() asks a server for /hello twice on one connection and checks
that both answers are well-formed HTTP/1.1 200 responses with the same
body: the benchmark compares servers only when they give the same answer,
keep the connection alive, and frame it correctly (wrk counts a malformed
answer as a read error; this names what is wrong).

IdleConnections opens N connections, asks /hello once on each and reads
the answer, then holds them open and idle: keep-alive connections waiting
for a next request, the state a server spends its memory on when many
clients are connected and few are active. It is bounded: each socket
operation has a timeout and the whole opening a deadline, and closing it
(a `with` block) closes every socket. verify() asks once more on every
connection, which shows that the server had not dropped any of them.

Standard library only; used by bench_serve.py.
"""
from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from servers import BenchError

SOCKET_TIMEOUT_S = 5
MAX_HEAD_BYTES = 16 * 1024
STATUS_LINE = re.compile(rb"^HTTP/1\.1 (\d{3}) [^\r\n]*$")


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Reader:
    """Reads whole responses from one socket, keeping what arrives after one for the next."""

    sock: socket.socket
    buffered: bytearray = field(default_factory=bytearray)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise BenchError("the server closed the connection before a whole response")
        self.buffered += data

    def response(self) -> Response:
        while b"\r\n\r\n" not in self.buffered:
            if len(self.buffered) > MAX_HEAD_BYTES:
                raise BenchError(f"a response head longer than {MAX_HEAD_BYTES} bytes")
            self._fill()
        head, _, rest = bytes(self.buffered).partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        match = STATUS_LINE.match(lines[0])
        if not match:
            raise BenchError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise BenchError(f"a malformed header line: {line[:80]!r}")
            headers[name.decode("ascii").lower()] = value.strip().decode("latin-1")
        length = headers.get("content-length", "")
        if not length.isdigit():
            raise BenchError(f"no Content-Length (or a bad one: {length!r}) in a keep-alive answer")
        self.buffered = bytearray(rest)
        while len(self.buffered) < int(length):
            self._fill()
        body = bytes(self.buffered[: int(length)])
        del self.buffered[: int(length)]
        return Response(int(match.group(1)), headers, body)


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def request(url: str, path: str) -> bytes:
    host, port = address(url)
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")


def check_hello(url: str, path: str = "/hello") -> Response:
    """Two GETs of path on one connection; both 200, same body, connection kept alive."""
    with socket.create_connection(address(url), timeout=SOCKET_TIMEOUT_S) as sock:
        reader = Reader(sock)
        answers = []
        for _ in range(2):
            sock.sendall(request(url, path))
            answers.append(reader.response())
    first, second = answers
    if first.status != 200 or second.status != 200:
        raise BenchError(f"{url} answered {path} with {first.status} and {second.status}, not 200")
    if first.body != second.body or not first.body:
        raise BenchError(f"{url} answered {path} with an empty or changing body")
    if "close" in first.headers.get("connection", "").lower():
        raise BenchError(f"{url} closes the connection after {path}: not keep-alive")
    return first


class IdleConnections:
    """N keep-alive connections to url, each after one answered request; a context manager."""

    def __init__(self, url: str, count: int, limit_s: float, path: str = "/hello") -> None:
        self.url, self.count, self.limit_s, self.path = url, count, limit_s, path
        self.readers: list[Reader] = []

    def __enter__(self) -> IdleConnections:
        deadline = time.monotonic() + self.limit_s
        try:
            for _ in range(self.count):
                if time.monotonic() > deadline:
                    raise BenchError(f"opened only {len(self.readers)} of {self.count} "
                                     f"connections in {self.limit_s:g} s")
                sock = socket.create_connection(address(self.url), timeout=SOCKET_TIMEOUT_S)
                reader = Reader(sock)
                self.readers.append(reader)
                self.ask(reader)
        except BaseException:
            self.close()
            raise
        return self

    def ask(self, reader: Reader) -> None:
        reader.sock.sendall(request(self.url, self.path))
        if reader.response().status != 200:
            raise BenchError(f"{self.url}{self.path[1:]} did not answer 200 on a connection")

    def verify(self) -> int:
        """Asks once more on every connection; returns how many the server had dropped."""
        lost = 0
        for reader in self.readers:
            try:
                self.ask(reader)
            except (OSError, BenchError):
                lost += 1
        return lost

    def close(self) -> None:
        for reader in self.readers:
            reader.sock.close()
        self.readers = []

    def __exit__(self, *exc) -> None:
        self.close()
