#!/usr/bin/env python3
"""Fixture HTTP servers: the misbehaving peers every fetch program must survive.

Each fixture is a tiny HTTP/1.0 server on 127.0.0.1 with an ephemeral port
(bound to port 0, so the kernel picks a free one; no port number is ever
fixed). Each misbehaves in exactly one way: it answers late (`delayed`),
never answers (`silent`), answers a little at a time (`trickle`), is not
there at all (`refused`), resets the connection halfway (`reset_mid_body`),
sends a huge body (`large_body`), hangs up without a word (`early_close`) or
answers garbage (`malformed_status`). Some test the finer points instead:
`scripted` answers exact bytes (odd headers, interim 1xx answers),
`recording` keeps the request heads it reads, `strict` answers 400 to a
request RFC 9112 forbids, `slow_reader` takes a long request a little at a
time through a small window, and `full_backlog` never accepts (or only
late), so a client's connect() waits. The pytest tests, the classroom demo
and the learner CLI all start them through a `ServerPool`, which stops every
server it started on close(), so nothing outlives the test that made it.

Interface rules:
- Every ServerPool method returns the URL of a new, already listening server.
- A server first reads the request head, up to the blank line (at most
  64 KiB or 5 s); only then does it misbehave. If the request never
  completes, the server hangs up without answering (`silent` still waits).
- Valid answers look like
  `HTTP/1.0 200 OK\\r\\nContent-Length: N\\r\\nContent-Type: text/plain\\r\\n`
  `Connection: close\\r\\n\\r\\n` + N body bytes, and then the server closes
  (another status gets its standard reason phrase, e.g. `404 Not Found`).
  The body is `pattern_bytes(0, N)`, so a test can check the content too.
- One daemon thread accepts; each connection gets its own daemon thread, so
  a slow connection never delays another. Blocking sockets throughout:
  simple to read, not fast (and it need not be fast).
- A client that goes away early is normal here: the OSError it causes ends
  that connection quietly, with no traceback.
- Call a ServerPool from one thread (the test's); the servers' own threads
  share nothing with it but the connection counters.

Command line, for teachers:
    python3 tests/harness/fixtures.py demo     # start the demo servers, print their URLs
    python3 tests/harness/fixtures.py --help
"""

from __future__ import annotations

import argparse
import http
import os
import socket
import string
import struct
import sys
import threading
import time
import urllib.parse
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

HOST = "127.0.0.1"
LISTEN_BACKLOG = 128  # a stage-3 C10K test may connect many times at once
MAX_REQUEST_BYTES = 64 * 1024  # give up on a request head larger than this...
REQUEST_TIMEOUT_S = 5.0  # ...or slower than this
SEND_TIMEOUT_S = 30.0  # a client that stops reading cannot hold a thread forever
ACCEPT_POLL_S = 0.05  # how quickly an accept loop notices close()
JOIN_TIMEOUT_S = 2.0  # close() waits at most this long for each thread
CLI_LIFETIME_S = 600.0  # the command line's demo stops by itself after 10 minutes

# The body pattern: 64 bytes, so 1024 copies make a 64 KiB block.
BODY_PATTERN = (string.ascii_letters + string.digits + "-\n").encode("ascii")
SEND_BLOCK_BYTES = 64 * 1024

# What `malformed_status` answers: not HTTP at all (RFC 2324 is a joke RFC).
MALFORMED_RESPONSE = b"HTCPCP/9 teapot\r\n\r\nhello"

# A connection handler gets the accepted socket and the server's "stopping"
# event, and returns when it is done; the caller closes the socket.
Handler = Callable[[socket.socket, threading.Event], None]


# --- Small helpers: the request, the response, the body ---------------------


def pattern_bytes(start: int, length: int) -> bytes:
    """Return bytes [start, start + length) of the endless repeating body pattern."""
    first = start % len(BODY_PATTERN)
    copies = (first + length) // len(BODY_PATTERN) + 1
    return (BODY_PATTERN * copies)[first : first + length]


def read_request(conn: socket.socket) -> Optional[bytes]:
    """Read a request head up to its blank line and return it.

    Returns None when the client closes, is too slow (REQUEST_TIMEOUT_S in
    all) or sends more than MAX_REQUEST_BYTES without a blank line. A bare
    "\\n\\n" is accepted too, so a learner's sloppy request still gets an answer.
    Leaves the socket with SEND_TIMEOUT_S as its timeout.
    """
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or len(head) >= MAX_REQUEST_BYTES:
            return None
        conn.settimeout(remaining)
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            return None
        if not chunk:
            return None
        head += chunk
    conn.settimeout(SEND_TIMEOUT_S)
    return head


def response_header(status: int, content_length: int) -> bytes:
    """Return the status line and headers of a valid answer, blank line included."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "OK"
    return (
        f"HTTP/1.0 {status} {reason}\r\n"
        f"Content-Length: {content_length}\r\n"
        "Content-Type: text/plain\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")


def send_body(conn: socket.socket, start: int, length: int) -> None:
    """Send pattern bytes [start, start + length) in 64 KiB blocks."""
    end = start + length
    for offset in range(start, end, SEND_BLOCK_BYTES):
        conn.sendall(pattern_bytes(offset, min(SEND_BLOCK_BYTES, end - offset)))


def send_response(conn: socket.socket, status: int, body_bytes: int) -> None:
    """Send a complete valid answer: header, then body_bytes of pattern."""
    conn.sendall(response_header(status, body_bytes))
    send_body(conn, 0, body_bytes)


def request_problem(head: bytes, path: str, authority: str) -> Optional[str]:
    """What is wrong with a GET request head for http://authority/path, or None.

    The rules of RFC 9112 a client's request must follow: the request line
    `GET <path> HTTP/1.x` (the target never carries a #fragment, RFC 9110
    4.2.4), CRLF after every line, and exactly one Host field whose value
    is the URL's authority, with its port when the URL names one (RFC 9110 7.2).
    """
    if not head.endswith(b"\r\n\r\n"):
        return "the head must end with CRLF CRLF"
    lines = head[:-4].split(b"\r\n")
    if any(b"\n" in line or b"\r" in line for line in lines):
        return "every line must end with CRLF"
    expected = [f"GET {path} HTTP/1.0".encode(), f"GET {path} HTTP/1.1".encode()]
    if lines[0] not in expected:
        return f"expected the request line GET {path} HTTP/1.x, got {lines[0]!r}"
    hosts = [line.split(b":", 1)[1].strip(b" \t") for line in lines[1:]
             if line.lower().startswith(b"host:")]
    if hosts != [authority.encode()]:
        return f"expected one Host field {authority!r}, got {hosts!r}"
    return None


# --- One server: a listening socket, its accept thread, its connections ------


class _FixtureServer:
    """One listening socket, the thread that accepts on it, and one thread per connection."""

    def __init__(self, kind: str, handler: Handler, path: str, *,
                 backlog: int = LISTEN_BACKLOG,
                 socket_options: Sequence[Tuple[int, int, int]] = (),
                 accept_after_s: Optional[float] = 0.0) -> None:
        """Bind 127.0.0.1:0, listen, and start accepting on a daemon thread.

        socket_options are set on the listener before listen(), so the
        accepted sockets inherit them; accept_after_s holds accept() back
        that long (None: never accept).
        """
        self.kind = kind
        self._accept_after_s = accept_after_s
        self._handler = handler
        self._stopping = threading.Event()

        # Shared between the accept thread, connection threads and begin_stop(): guarded by _lock.
        self._lock = threading.Lock()
        self._open: Set[socket.socket] = set()
        self._threads: List[threading.Thread] = []
        self.accepted = 0

        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for level, option, value in socket_options:
            self._listener.setsockopt(level, option, value)
        self._listener.bind((HOST, 0))
        self._listener.listen(backlog)
        # A timeout on accept() lets the loop notice the stop promptly on every OS
        # (shutting a listening socket down wakes accept() on Linux, not on macOS).
        self._listener.settimeout(ACCEPT_POLL_S)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}{path}"

        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"fixture-{kind}-accept", daemon=True
        )
        self._acceptor.start()

    def connections(self) -> int:
        """Return how many connections this server has accepted so far."""
        with self._lock:
            return self.accepted

    def _accept_loop(self) -> None:
        """Accept connections until begin_stop(); serve each on its own daemon thread."""
        if self._stopping.wait(self._accept_after_s):  # None: until the pool closes
            return
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # the listener is broken; nothing more to accept
            conn.settimeout(None)
            with self._lock:
                if self._stopping.is_set():
                    conn.close()
                    return
                self.accepted += 1
                self._open.add(conn)
                self._threads = [t for t in self._threads if t.is_alive()]
                thread = threading.Thread(
                    target=self._serve,
                    args=(conn,),
                    name=f"fixture-{self.kind}-conn{self.accepted}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()

    def _serve(self, conn: socket.socket) -> None:
        """Run the handler on one connection, then close it, whatever happened."""
        try:
            # Small writes (a trickle chunk, a header) leave at once, not batched by Nagle.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._handler(conn, self._stopping)
        except OSError:
            pass  # the client went away early, or the pool closed it: both are normal here
        finally:
            with self._lock:  # forget it before closing, so begin_stop() never touches a closed socket
                self._open.discard(conn)
            conn.close()

    def begin_stop(self) -> None:
        """Tell every thread to stop and wake those blocked on a connection; returns at once."""
        self._stopping.set()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv/send
                except OSError:
                    pass  # already reset by the peer

    def finish_stop(self) -> None:
        """Wait for the threads to end (at most JOIN_TIMEOUT_S each), then close the listener."""
        with self._lock:
            threads = list(self._threads)
        self._acceptor.join(JOIN_TIMEOUT_S)
        self._listener.close()
        for thread in threads:
            thread.join(JOIN_TIMEOUT_S)


# --- The pool: what tests, the demo and the CLI use ---------------------------


class ServerPool:
    """Starts fixture servers and stops every one of them on close(); usable as a context manager."""

    def __init__(self) -> None:
        """Create an empty pool; each method below starts one more server in it."""
        self._servers: Dict[int, _FixtureServer] = {}
        self._reserved: Dict[int, socket.socket] = {}  # ports held for refused()
        self._fillers: List[socket.socket] = []  # connections that fill full_backlog() queues
        # Request heads by server port, for recording(), slow_reader() and strict();
        # appended by the servers' threads (list.append is atomic), read by the test.
        self._requests: Dict[int, List[bytes]] = {}
        self._closed = False

    def __enter__(self) -> "ServerPool":
        """Return the pool itself."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the pool, even when the block raised."""
        self.close()

    def _start(self, kind: str, handler: Handler, path: str = "/", **listener) -> str:
        """Start one server with this connection handler and return its URL
        (listener: _FixtureServer's keyword arguments)."""
        if self._closed:
            raise RuntimeError("ServerPool is closed")
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        server = _FixtureServer(kind, handler, path, **listener)
        self._servers[server.port] = server
        return server.url

    def delayed(self, delay_ms: int, body_bytes: int = 1000, status: int = 200, path: str = "/") -> str:
        """A server that waits delay_ms after reading the request, then answers normally."""
        _check_non_negative(delay_ms=delay_ms, body_bytes=body_bytes)
        if not 100 <= status <= 999:
            raise ValueError(f"status must be a three-digit number: {status}")

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            if stopping.wait(delay_ms / 1000):  # the delay counts from the request
                return  # the pool is closing
            send_response(conn, status, body_bytes)

        return self._start(f"delayed-{delay_ms}ms", handle, path)

    def silent(self) -> str:
        """A server that accepts and reads the request but never answers; it holds the
        connection open until the client hangs up or the pool closes."""

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            read_request(conn)  # whatever arrives, it is never answered
            conn.settimeout(None)
            while conn.recv(4096):  # b"" when the client closes or the pool closes
                pass

        return self._start("silent", handle)

    def trickle(self, total_bytes: int, chunk_bytes: int, interval_ms: int) -> str:
        """A server that sends the header at once, then the body chunk_bytes at a time,
        one chunk every interval_ms (the first chunk after one interval)."""
        _check_non_negative(total_bytes=total_bytes, interval_ms=interval_ms)
        if chunk_bytes <= 0:
            raise ValueError(f"chunk_bytes must be positive: {chunk_bytes}")

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            conn.sendall(response_header(200, total_bytes))
            for offset in range(0, total_bytes, chunk_bytes):
                if stopping.wait(interval_ms / 1000):
                    return  # the pool is closing
                send_body(conn, offset, min(chunk_bytes, total_bytes - offset))

        return self._start("trickle", handle)

    def falls_silent(self, after_ms: int, body_bytes: int = 1000) -> str:
        """A server that sends the header at once, 100 body bytes after after_ms,
        then nothing more (of the body_bytes it promised) until the client hangs up
        or the pool closes: the last sign of life comes well after the first."""
        _check_non_negative(after_ms=after_ms)
        if body_bytes <= 100:
            raise ValueError(f"body_bytes must be more than the 100 sent: {body_bytes}")

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            conn.sendall(response_header(200, body_bytes))
            if stopping.wait(after_ms / 1000):
                return  # the pool is closing
            send_body(conn, 0, 100)
            conn.settimeout(None)
            while conn.recv(4096):  # b"" when the client closes or the pool closes
                pass

        return self._start("falls-silent", handle)

    def refused(self) -> str:
        """A URL where nothing listens, so connect() fails with ECONNREFUSED.

        The port is bound but never listened on, and stays bound until close():
        no other program can take it meanwhile, yet every connection is refused.
        """
        if self._closed:
            raise RuntimeError("ServerPool is closed")
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        holder.bind((HOST, 0))  # no listen(): the kernel answers every SYN with RST
        port = holder.getsockname()[1]
        self._reserved[port] = holder
        return f"http://{HOST}:{port}/"

    def reset_mid_body(self, bytes_before_reset: int = 5000) -> str:
        """A server that promises more body than it sends: it sends bytes_before_reset
        body bytes, then closes with SO_LINGER {on, 0 s}, so the client gets a TCP RST
        (ECONNRESET) instead of a normal end of stream."""
        _check_non_negative(bytes_before_reset=bytes_before_reset)
        promised = 2 * bytes_before_reset + 1024  # Content-Length: clearly more than sent

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            conn.sendall(response_header(200, promised))
            send_body(conn, 0, bytes_before_reset)
            # Linger on with a zero timeout: close() drops the connection with RST, not FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # _serve() closes the socket right after this returns.

        return self._start("reset-mid-body", handle)

    def large_body(self, body_bytes: int) -> str:
        """A server that answers at once with a valid response of body_bytes body bytes."""
        _check_non_negative(body_bytes=body_bytes)

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            send_response(conn, 200, body_bytes)

        return self._start("large-body", handle)

    def early_close(self) -> str:
        """A server that reads the request, then closes without sending a single byte."""

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            read_request(conn)
            # _serve() closes the socket (a normal FIN) right after this returns.

        return self._start("early-close", handle)

    def malformed_status(self) -> str:
        """A server that answers a status line that is not HTTP, then closes."""

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            conn.sendall(MALFORMED_RESPONSE)

        return self._start("malformed-status", handle)

    # --- Peers that test the request and the response's finer points --------

    def scripted(self, response: bytes, kind: str = "scripted") -> str:
        """A server that reads the request, answers exactly `response`, then closes
        (for responses no other fixture sends: odd headers, interim 1xx answers)."""

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is None:
                return
            conn.sendall(response)

        return self._start(kind, handle)

    def recording(self, body_bytes: int = 100, path: str = "/") -> str:
        """A server that answers like delayed(0) and keeps every request head it
        reads, for requests(url)."""
        _check_non_negative(body_bytes=body_bytes)
        heads: List[bytes] = []

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            head = read_request(conn)
            if head is None:
                return
            heads.append(head)
            send_response(conn, 200, body_bytes)

        url = self._start("recording", handle, path)
        self._requests[urllib.parse.urlsplit(url).port] = heads
        return url

    def strict(self, path: str = "/") -> str:
        """A server that answers 200 only to a request RFC 9112 allows for its own
        URL: request line `GET <path> HTTP/1.x` (no fragment), one Host field
        carrying host:port as the URL names it, CRLF line ends. Anything else
        gets 400 Bad Request, whose body says what was wrong."""
        authority = ""

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            head = read_request(conn)
            if head is None:
                return
            problem = request_problem(head, path, authority)
            if problem is None:
                send_response(conn, 200, 100)
            else:
                body = problem.encode("ascii", "replace")
                conn.sendall(response_header(400, len(body)) + body)

        url = self._start("strict", handle, path)
        authority = urllib.parse.urlsplit(url).netloc
        return url

    def slow_reader(self, read_bytes: int = 512, interval_ms: int = 10) -> str:
        """A server that reads the request slowly, read_bytes every interval_ms,
        through a small receive buffer and a small segment size: a long request
        (a long URL path) then takes several send() calls, however the client
        tries. It keeps the head for requests(url) and answers like recording().
        Heads of up to 1 MiB are read, for at most 30 s."""
        if read_bytes <= 0:
            raise ValueError(f"read_bytes must be positive: {read_bytes}")
        _check_non_negative(interval_ms=interval_ms)
        heads: List[bytes] = []

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            deadline = time.monotonic() + 30
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 1024 * 1024:
                if stopping.wait(interval_ms / 1000) or time.monotonic() > deadline:
                    return
                chunk = conn.recv(read_bytes)
                if not chunk:
                    return
                head += chunk
            heads.append(head)
            send_response(conn, 200, 100)

        small = [(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)]
        if hasattr(socket, "TCP_MAXSEG"):
            small.append((socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536))
        url = self._start("slow-reader", handle, socket_options=small)
        self._requests[urllib.parse.urlsplit(url).port] = heads
        return url

    def full_backlog(self, accept_after_ms: Optional[int] = None) -> str:
        """A server whose accept queue is full: it listens with a backlog of 0 and
        one connection of the pool's own waits in the queue, unaccepted. The
        kernel then drops a client's SYN (Linux; it retries after about 1 s), so
        connect() waits. With accept_after_ms the server starts accepting after
        that long and answers like delayed(0); without it, never."""
        if accept_after_ms is not None:
            _check_non_negative(accept_after_ms=accept_after_ms)

        def handle(conn: socket.socket, stopping: threading.Event) -> None:
            if read_request(conn) is not None:  # the filler sends nothing: None
                send_response(conn, 200, 1000)

        after = None if accept_after_ms is None else accept_after_ms / 1000
        url = self._start("full-backlog", handle, backlog=0, accept_after_s=after)
        filler = socket.create_connection((HOST, urllib.parse.urlsplit(url).port), timeout=2)
        self._fillers.append(filler)
        return url

    def requests(self, url: str) -> List[bytes]:
        """The request heads a recording(), slow_reader() or strict() server has read."""
        port = urllib.parse.urlsplit(url).port
        if port not in self._requests:
            raise KeyError(f"no recording server of this pool at {url}")
        return list(self._requests[port])

    def connections(self, url: str) -> int:
        """How many connections the server at url has accepted (0 for a refused() URL).

        Raises KeyError for a URL this pool did not hand out.
        """
        port = urllib.parse.urlsplit(url).port
        if port in self._servers:
            return self._servers[port].connections()
        if port in self._reserved:
            return 0
        raise KeyError(f"no fixture server of this pool at {url}")

    def close(self) -> None:
        """Stop everything: listening sockets, open connections, threads. Safe to call twice."""
        self._closed = True
        # Two passes, so all servers wind down at the same time rather than one after another.
        for server in self._servers.values():
            server.begin_stop()
        for server in self._servers.values():
            server.finish_stop()
        for holder in list(self._reserved.values()) + self._fillers:
            holder.close()
        self._servers.clear()
        self._reserved.clear()
        self._fillers.clear()


def _check_non_negative(**values: int) -> None:
    """Raise ValueError naming the first argument that is negative."""
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative: {value}")


# --- Command line: the teacher's demo servers ---------------------------------


def _wait_for_end_of_stdin(ended: threading.Event) -> None:
    """Read stdin until it closes (Ctrl-D, or the parent process went away), then set ended.

    Reads the raw file descriptor: a daemon thread still blocked inside
    sys.stdin's buffered reader would abort the interpreter at exit.
    """
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except (AttributeError, OSError, ValueError):
        pass  # no usable stdin: treat it as closed
    ended.set()


def run_demo(max_seconds: float) -> int:
    """Start the demo scenario, print `KIND URL` lines, serve until told to stop."""
    with ServerPool() as pool:
        scenario = [
            ("delayed-900ms", pool.delayed(900)),
            ("delayed-600ms", pool.delayed(600)),
            ("delayed-300ms", pool.delayed(300)),
            ("silent", pool.silent()),
        ]
        for kind, url in scenario:
            print(kind, url)
        sys.stdout.flush()
        print(
            f"fixtures: serving; Ctrl-C or closing stdin stops (after {max_seconds:g} s at the latest)",
            file=sys.stderr,
        )
        stdin_ended = threading.Event()
        threading.Thread(
            target=_wait_for_end_of_stdin, args=(stdin_ended,), name="fixture-stdin", daemon=True
        ).start()
        try:
            if not stdin_ended.wait(max_seconds):
                print(f"fixtures: {max_seconds:g} s are up, stopping", file=sys.stderr)
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the command line and run it; usage errors exit with status 2."""
    parser = argparse.ArgumentParser(
        prog="fixtures.py",
        description="Fixture HTTP servers of the event-loop kit (127.0.0.1, ephemeral ports).",
        epilog=(
            "demo: starts delayed servers (900, 600 and 300 ms) and one silent server, "
            "prints one 'KIND URL' line each, then serves until Ctrl-C, until stdin "
            "closes, or until the time limit. Keep stdin open (a terminal or a pipe): "
            "started with </dev/null it stops at once."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="serve the classroom demo scenario")
    demo.add_argument(
        "--max-seconds",
        type=float,
        default=CLI_LIFETIME_S,
        help=f"stop by itself after this many seconds (default {CLI_LIFETIME_S:g})",
    )
    args = parser.parse_args(argv)  # exits 2 with a message on unknown arguments
    if args.command is None:
        parser.error("missing COMMAND (try: demo)")
    if args.max_seconds <= 0:
        parser.error("--max-seconds must be positive")
    return run_demo(args.max_seconds)


if __name__ == "__main__":
    sys.exit(main())
