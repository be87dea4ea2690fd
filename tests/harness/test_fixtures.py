"""Tests of the fixture servers themselves, with plain Python sockets as the client.

If a fixture misbehaved in the wrong way, every fetch test built on it would
test the wrong thing, so each fixture's one misbehaviour is checked here.
Timing checks only ever assert a lower bound with a wide margin (>= 0.8 of
the delay) or a generous upper bound, never a tight window.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402  (the path above must come first)
from fixtures import ServerPool  # noqa: E402

FIXTURES_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.py")
CLIENT_TIMEOUT_S = 5.0  # no test client ever waits longer than this


# --- A tiny client ------------------------------------------------------------


def address(url):
    """Return (host, port) of an http:// URL."""
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


def connect(url):
    """Open a client connection to url with a safety timeout."""
    return socket.create_connection(address(url), timeout=CLIENT_TIMEOUT_S)


def send_get(sock, url):
    """Send an HTTP/1.0 GET for url's path."""
    path = urllib.parse.urlsplit(url).path or "/"
    sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode("ascii"))


def read_to_eof(sock):
    """Read everything until the server closes; return the bytes."""
    chunks = []  # joined once at the end: repeated += would copy megabytes again and again
    while True:
        chunk = sock.recv(1024 * 1024)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def split_response(data):
    """Split a raw response into (status line, headers dict, body)."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


def fetch(url):
    """GET url; return (seconds from request sent to first byte, raw response)."""
    with connect(url) as sock:
        send_get(sock, url)
        sent = time.monotonic()
        first = sock.recv(65536)
        waited = time.monotonic() - sent
        return waited, first + read_to_eof(sock)


@pytest.fixture
def pool():
    """A ServerPool that is closed after the test, whatever happens."""
    with ServerPool() as p:
        yield p


# --- One test per fixture -------------------------------------------------------


def test_delayed_waits_then_answers_a_valid_response(pool):
    url = pool.delayed(300, body_bytes=1000)
    waited, data = fetch(url)
    assert waited >= 0.8 * 0.300
    status, headers, body = split_response(data)
    assert status == "HTTP/1.0 200 OK"
    assert headers["Content-Length"] == "1000"
    assert headers["Content-Type"] == "text/plain"
    assert headers["Connection"] == "close"
    assert body == fixtures.pattern_bytes(0, 1000)
    assert pool.connections(url) == 1


def test_delayed_counts_the_delay_from_the_request_not_from_accept(pool):
    url = pool.delayed(150)
    with connect(url) as sock:
        time.sleep(0.25)  # longer than the delay: if it counted from accept, the answer would be instant
        send_get(sock, url)
        sent = time.monotonic()
        sock.recv(1)
        assert time.monotonic() - sent >= 0.8 * 0.150


def test_delayed_status_and_path(pool):
    url = pool.delayed(0, body_bytes=3, status=404, path="/missing/page")
    assert url.endswith("/missing/page")
    _, data = fetch(url)
    status, headers, body = split_response(data)
    assert status.startswith("HTTP/1.0 404 ")
    assert body == fixtures.pattern_bytes(0, 3)


def test_a_slow_connection_does_not_delay_another(pool):
    url = pool.delayed(100)
    with connect(url) as idle:  # connects but never sends its request
        started = time.monotonic()
        _, data = fetch(url)
        # The idle one holds its thread for up to 5 s; ours must not wait for it.
        assert time.monotonic() - started < 2.5
        assert data.startswith(b"HTTP/1.0 200 ")
        idle.sendall(b"")  # still connected
    assert pool.connections(url) == 2


def test_silent_never_answers_and_holds_the_connection_until_close():
    pool = ServerPool()
    try:
        url = pool.silent()
        sock = connect(url)
        send_get(sock, url)
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(1)  # neither data nor end of stream: the server is just silent
        assert pool.connections(url) == 1
    finally:
        pool.close()
    sock.settimeout(CLIENT_TIMEOUT_S)
    assert sock.recv(1) == b""  # close() hung up on us
    sock.close()


def test_falls_silent_sends_the_header_then_one_chunk_late_then_nothing(pool):
    url = pool.falls_silent(after_ms=300, body_bytes=1000)
    with connect(url) as sock:
        send_get(sock, url)
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        header_at = time.monotonic()
        _, headers, body = split_response(head)
        assert headers["Content-Length"] == "1000" and body == b""
        while len(body) < 100:
            body += sock.recv(65536)
        assert time.monotonic() - header_at >= 0.25, "expected the chunk about 300 ms later"
        assert len(body) == 100, f"expected 100 body bytes, got {len(body)}"
        sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            sock.recv(1)  # then silence, with the connection open


def test_trickle_sends_the_header_at_once_then_chunks_with_time_between(pool):
    url = pool.trickle(total_bytes=300, chunk_bytes=100, interval_ms=100)
    with connect(url) as sock:
        send_get(sock, url)
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        header_at = time.monotonic()
        _, headers, body = split_response(head)
        assert headers["Content-Length"] == "300"
        arrivals = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            arrivals.append(time.monotonic())
            body += chunk
    assert body == fixtures.pattern_bytes(0, 300)
    assert len(arrivals) > 1
    assert arrivals[0] - header_at >= 0.8 * 0.100
    assert arrivals[-1] - arrivals[0] >= 0.8 * 0.200  # three chunks, two intervals apart


def test_refused_refuses_and_keeps_its_port_reserved_until_close():
    pool = ServerPool()
    url = pool.refused()
    host, port = address(url)
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=CLIENT_TIMEOUT_S)
        with socket.socket() as other, pytest.raises(OSError):
            other.bind((host, port))  # nobody else can take the port meanwhile
        assert pool.connections(url) == 0
    finally:
        pool.close()
    with socket.socket() as other:
        other.bind((host, port))  # released


def test_reset_mid_body_ends_in_connection_reset(pool):
    url = pool.reset_mid_body(bytes_before_reset=5000)
    received = b""
    with connect(url) as sock:
        send_get(sock, url)
        with pytest.raises(ConnectionResetError):
            while True:
                chunk = sock.recv(65536)
                assert chunk, "got a normal end of stream instead of a reset"
                received += chunk
    if b"\r\n\r\n" in received:  # the kernel may drop unread data on RST
        _, headers, body = split_response(received)
        assert int(headers["Content-Length"]) > len(body)


def test_large_body_sends_every_byte(pool):
    size = 9 * 1024 * 1024  # more than the fetch contract's 8 MiB limit
    url = pool.large_body(size)
    _, data = fetch(url)
    _, headers, body = split_response(data)
    assert headers["Content-Length"] == str(size)
    assert len(body) == size
    assert body[-64:] == fixtures.pattern_bytes(size - 64, 64)


def test_early_close_reads_the_request_and_hangs_up_without_a_byte(pool):
    url = pool.early_close()
    with connect(url) as sock:
        send_get(sock, url)
        assert sock.recv(65536) == b""
    assert pool.connections(url) == 1


def test_malformed_status_is_not_http(pool):
    url = pool.malformed_status()
    _, data = fetch(url)
    assert data
    assert not data.split(b"\r\n", 1)[0].startswith(b"HTTP/")


# --- The pool as a whole ----------------------------------------------------------


def test_close_stops_every_thread_and_releases_every_port():
    before = set(threading.enumerate())
    pool = ServerPool()
    urls = [
        pool.delayed(5000),
        pool.silent(),
        pool.trickle(1000, 10, 500),
        pool.refused(),
        pool.reset_mid_body(),
        pool.large_body(9 * 1024 * 1024),
        pool.early_close(),
        pool.malformed_status(),
    ]
    clients = []
    for url in urls[:3] + urls[5:6]:  # leave some connections mid-way: waiting, silent, trickling, unread
        sock = connect(url)
        send_get(sock, url)
        clients.append(sock)
    idle = connect(urls[0])  # and one that never sends its request
    clients.append(idle)
    time.sleep(0.1)  # let the servers accept and start serving
    assert len(set(threading.enumerate()) - before) > 8  # accept loops and connections

    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < 2.0
    assert set(threading.enumerate()) - before == set()  # every thread of the pool has ended
    pool.close()  # a second close is harmless

    for sock in clients:
        sock.close()
    for url in urls:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address(url), timeout=CLIENT_TIMEOUT_S)


def test_clients_that_go_away_early_cause_no_traceback():
    uncaught = []  # an exception escaping a server thread would land here (and print a traceback)
    default_hook = threading.excepthook
    threading.excepthook = uncaught.append
    try:
        serve_clients_that_hang_up_early()
    finally:
        threading.excepthook = default_hook
    assert uncaught == []


def serve_clients_that_hang_up_early():
    """Hang up on a big answer mid-way, before a delayed answer, and on a reset."""
    with ServerPool() as pool:
        big = pool.large_body(9 * 1024 * 1024)
        with connect(big) as sock:
            send_get(sock, big)
            sock.recv(10)  # then hang up with megabytes still on the way
        slow = pool.delayed(100)
        with connect(slow) as sock:
            send_get(sock, slow)  # hang up before the answer
        reset = pool.reset_mid_body()
        with connect(reset) as sock:
            send_get(sock, reset)
        time.sleep(0.2)  # let every server run into the closed connections


def test_connections_counts_and_rejects_unknown_urls(pool):
    url = pool.early_close()
    assert pool.connections(url) == 0
    for _ in range(3):
        with connect(url) as sock:
            send_get(sock, url)
            sock.recv(1)
    assert pool.connections(url) == 3
    with pytest.raises(KeyError):
        pool.connections("http://127.0.0.1:1/")


def test_bad_arguments_are_value_errors(pool):
    with pytest.raises(ValueError):
        pool.delayed(-1)
    with pytest.raises(ValueError):
        pool.delayed(0, path="no-slash")
    with pytest.raises(ValueError):
        pool.trickle(10, 0, 10)


# --- The command line ------------------------------------------------------------------


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exited:
        fixtures.main(["--help"])
    assert exited.value.code == 0
    assert "demo" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [["--bogus"], ["frobnicate"], [], ["demo", "--max-seconds", "0"]])
def test_cli_usage_errors_exit_2_with_a_message(capsys, bad):
    with pytest.raises(SystemExit) as exited:
        fixtures.main(bad)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_cli_demo_prints_urls_serves_them_and_stops_when_stdin_closes():
    demo = subprocess.Popen(
        [sys.executable, FIXTURES_PY, "demo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [demo.stdout.readline().split() for _ in range(4)]
        kinds = [kind for kind, _ in lines]
        assert kinds == ["delayed-900ms", "delayed-600ms", "delayed-300ms", "silent"]
        urls = dict(lines)
        waited, data = fetch(urls["delayed-300ms"])
        assert waited >= 0.8 * 0.300
        assert data.startswith(b"HTTP/1.0 200 ")
        demo.stdin.close()
        assert demo.wait(timeout=CLIENT_TIMEOUT_S) == 0
        assert "Traceback" not in demo.stderr.read()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        demo.stdout.close()
        demo.stderr.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address(urls["silent"]), timeout=CLIENT_TIMEOUT_S)


def test_cli_demo_stops_by_itself_at_its_time_limit():
    demo = subprocess.Popen(
        [sys.executable, FIXTURES_PY, "demo", "--max-seconds", "0.2"],
        stdin=subprocess.PIPE,  # kept open: only the time limit can stop it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.wait(timeout=CLIENT_TIMEOUT_S) == 0  # not communicate(): it would close stdin
        out, err = demo.stdout.read(), demo.stderr.read()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for stream in (demo.stdin, demo.stdout, demo.stderr):
            stream.close()
    assert len(out.splitlines()) == 4
    assert "are up" in err
    assert "Traceback" not in err and "Fatal" not in err


# --- Peers for the request's and the response's finer points ------------------


def test_scripted_answers_exactly_its_bytes():
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    with ServerPool() as pool:
        url = pool.scripted(raw)
        with connect(url) as sock:
            send_get(sock, url)
            assert read_to_eof(sock) == raw


def test_recording_keeps_every_request_head():
    with ServerPool() as pool:
        url = pool.recording(body_bytes=10)
        for _ in range(2):
            with connect(url) as sock:
                send_get(sock, url)
                status, _, body = split_response(read_to_eof(sock))
                assert status.startswith("HTTP/1.0 200") and len(body) == 10
        assert pool.requests(url) == [b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"] * 2
        with pytest.raises(KeyError):
            pool.requests(pool.delayed(0))


@pytest.mark.parametrize("request_head, status", [
    ("GET /p?q HTTP/1.0\r\nHost: {authority}\r\n\r\n", "200"),
    ("GET /p?q HTTP/1.1\r\nhost:\t{authority} \r\n\r\n", "200"),
    ("GET /p?q HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", "400"),
    ("GET /p?q#f HTTP/1.0\r\nHost: {authority}\r\n\r\n", "400"),
    ("GET /p?q HTTP/1.0\r\nHost: {authority}\r\nHost: {authority}\r\n\r\n", "400"),
    ("GET /p?q HTTP/1.0\nHost: {authority}\n\n", "400"),
], ids=["valid", "valid-1.1-tab", "no-port", "fragment", "two-hosts", "bare-lf"])
def test_strict_answers_200_only_to_a_valid_request(request_head, status):
    with ServerPool() as pool:
        url = pool.strict("/p?q")
        authority = urllib.parse.urlsplit(url).netloc
        with connect(url) as sock:
            sock.sendall(request_head.format(authority=authority).encode("ascii"))
            line, _, body = split_response(read_to_eof(sock))
        assert line.split(" ")[1] == status, f"{line}: {body!r}"


def test_slow_reader_takes_a_long_request_in_many_small_reads():
    with ServerPool() as pool:
        url = pool.slow_reader(read_bytes=1024, interval_ms=5)
        head = f"GET /{'x' * 100_000} HTTP/1.0\r\nHost: x\r\n\r\n".encode("ascii")
        with connect(url) as sock:
            sock.setblocking(False)
            sent = 0
            calls = 0
            while sent < len(head):  # each send() takes what fits in the window, no more
                try:
                    sent += sock.send(head[sent:])
                    calls += 1
                except BlockingIOError:
                    time.sleep(0.01)
            sock.settimeout(CLIENT_TIMEOUT_S)
            status, _, _ = split_response(read_to_eof(sock))
        assert status.startswith("HTTP/1.0 200")
        assert calls >= 2, f"expected the small receive window to take several send() calls, " \
                           f"got {calls}"
        assert pool.requests(url) == [head]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux drops SYNs on a full queue")
def test_full_backlog_holds_a_connect_until_it_accepts():
    with ServerPool() as pool:
        never = pool.full_backlog()
        with socket.socket() as sock:  # the SYN is dropped: connect() waits
            sock.settimeout(0.5)
            with pytest.raises(socket.timeout):
                sock.connect(address(never))
        started = time.monotonic()
        late = pool.full_backlog(accept_after_ms=300)
        with socket.create_connection(address(late), timeout=CLIENT_TIMEOUT_S) as sock:
            waited = time.monotonic() - started
            send_get(sock, late)
            status, _, body = split_response(read_to_eof(sock))
        assert status.startswith("HTTP/1.0 200") and len(body) == 1000
        assert waited >= 0.25, f"expected connect() to wait for the queue to free up, " \
                               f"got {waited:.3f} s"
