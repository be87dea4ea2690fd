"""Stage 7: HTTP as real clients speak it (lessons/07-serve.md).

curl (keep-alive reuse, a POST with a body, HEAD), Python's http.client,
and raw sockets for what libraries hide: pipelining, HTTP/1.0,
`Connection: close`, a half-close after the request, and each limit with
its status and a clean close (EOF after the answer, never a reset). On
every backend. The usage errors and the trace are here too.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import threading

import pytest

from fetchrun import backends_under_test, wait_until
from serverun import Server, serve_program

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    """One server per backend for the protocol tests (a sanitizer build
    starts slowly); each test counts from the stats it found. It must still
    shut down cleanly at the end."""
    with Server(backend=request.param) as running:
        yield running
        assert running.stop()[0] == 0


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10", *args],
                          capture_output=True, text=True, timeout=20)


def test_curl_reuses_one_connection_posts_a_body_and_asks_for_a_head(server):
    accepted = server.stats()["accepted"]
    done = curl("--verbose", server.url("/hello"), server.url("/stats"), server.url("/hello"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello\n") and done.stdout.endswith("}\nhello\n"), done.stdout
    assert done.stderr.count("Re-using existing connection") == 2, \
        f"expected curl to keep one connection for three requests:\n{done.stderr}"
    assert json.loads(done.stdout[len("hello\n"):-len("hello\n")])["accepted"] == accepted + 1
    posted = curl("--data-binary", "1 2 3\n40", server.url("/sum"))
    assert posted.stdout == "46\n", posted
    head = curl("--head", server.url("/hello"))
    assert head.stdout.startswith("HTTP/1.1 200 OK") and "Content-Length: 6" in head.stdout
    assert head.stdout.endswith("\n\n"), f"expected no body after HEAD: {head.stdout!r}"


def test_http_client_keep_alive_404_and_405(server):
    accepted = server.stats()["accepted"]
    conn = server.http()
    answers = []
    for method, path in [("GET", "/hello"), ("GET", "/nowhere"), ("POST", "/hello"),
                         ("GET", "/sum"), ("GET", "/hello")]:
        conn.request(method, path, body=b"" if method == "POST" else None)
        response = conn.getresponse()
        answers.append((response.status, response.getheader("Allow"), response.read()))
    conn.close()
    assert [a[0] for a in answers] == [200, 404, 405, 405, 200], answers
    assert answers[2][1] == "GET, HEAD" and answers[3][1] == "POST", answers
    assert server.stats()["accepted"] == accepted + 2, \
        "expected one connection for all five requests (and one for /stats)"


def test_pipelined_requests_are_answered_in_order(server):
    with server.connect() as client:
        # /slow goes to the pool and answers last, /stats is in the loop and
        # would be ready first: the answers must still come in request order.
        client.send(b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n1 2"
                    b"HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answers = [client.read_response(head=(i == 3)) for i in range(5)]
        assert [a[0] for a in answers] == [200, 200, 200, 404, 200], answers
        assert answers[0][2] == b"slept 200 ms\n" and answers[2][2] == b"3\n", answers
        assert answers[4][1].get("connection") == "close"
        assert client.closed_cleanly(), "expected EOF after the answer to Connection: close"


def test_a_long_pipeline_pauses_reading_and_resumes(server):
    # 3,000 requests (about 100 KiB) at once: more than the context buffers
    # (64 KiB), so it stops reading while it answers, and must start again,
    # on an edge-triggered backend too, where no new edge comes by itself.
    # Every tenth goes to the pool, so the buffer also fills while waiting.
    count = 3000
    paths = ["/slow?ms=0" if i % 10 == 9 else "/hello" for i in range(count)]
    with server.connect() as client:
        requests = b"".join(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for path in paths)
        sender = threading.Thread(target=client.send, args=(requests,))
        sender.start()
        bodies = [client.read_response()[2] for _ in range(count)]
        sender.join()
    expected = [b"slept 0 ms\n" if path.startswith("/slow") else b"hello\n" for path in paths]
    assert bodies == expected


def test_http_1_0_closes_unless_asked_and_1_1_closes_when_asked(server):
    with server.connect() as client:
        client.send(b"GET /hello HTTP/1.0\r\n\r\n")
        assert client.read_response()[0] == 200
        assert client.closed_cleanly(), "HTTP/1.0 without keep-alive: close after the answer"
    with server.connect() as client:
        client.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" * 2)
        assert [client.read_response()[0] for _ in range(2)] == [200, 200]
    with server.connect() as client:
        client.send(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, fields, _ = client.read_response()
        assert (status, fields.get("connection")) == (200, "close")
        assert client.closed_cleanly()


def test_a_half_closed_client_still_gets_its_answers(server):
    with server.connect() as client:
        client.send(b"GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        client.sock.shutdown(socket.SHUT_WR)  # "that's all I will send"
        assert [client.read_response()[0] for _ in range(2)] == [200, 200]
        assert client.closed_cleanly(), "expected EOF once both are answered"


LIMITS = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /hello HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"GET /hello HTTP/1.1\nHost: x\n\n", 400),  # bare LF
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"POST /sum HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    (b"GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
]


def test_each_limit_gets_its_status_and_a_clean_close(server):
    rejected = server.stats()["rejected"]
    for request_bytes, status in LIMITS:
        with server.connect() as client:
            client.send(request_bytes)
            got, fields, _ = client.read_response()
            what = f"{request_bytes[:50]!r}..."
            assert got == status, f"expected {status} for {what}, got {got}"
            assert fields.get("connection") == "close", what
            assert client.closed_cleanly(), \
                f"expected EOF after the answer to {what}, not a reset"
    assert server.stats()["rejected"] == rejected + len(LIMITS)


@backends
def test_the_trace_shows_the_loop_and_the_workers(backend):
    with tempfile.TemporaryDirectory() as tmp:
        trace_path = os.path.join(tmp, "trace.json")
        with Server("--trace", trace_path, "--threads", "2", backend=backend) as server:
            slow = server.connect()
            slow.send(b"GET /slow?ms=500 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert wait_until(lambda: server.stats()["on_pool"] == 1, 5)
            stats_status = server.get("/stats")[0]
            assert slow.read_response()[0] == stats_status == 200
            slow.close()
            assert server.stop()[0] == 0
        with open(trace_path, encoding="utf-8") as f:
            events = json.load(f)["traceEvents"]
    lanes = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M"}
    assert lanes == {0: "loop", 1: "pool-1", 2: "pool-2"}, lanes
    apps = [e for e in events if e.get("name") == "app"]
    slow_app = next(e for e in apps if e["args"]["target"].startswith("/slow"))
    stats_app = [e for e in apps if e["args"]["target"] == "/stats"][-1]
    assert slow_app["tid"] in (1, 2) and slow_app["args"]["thread"] == lanes[slow_app["tid"]]
    assert stats_app["tid"] == 0 and stats_app["args"]["thread"] == "loop"
    conn = slow_app["args"]["conn"]
    steps = [e["name"] for e in events if e.get("cat") == "conn" and e["args"]["conn"] == conn]
    assert steps[:5] == ["accepted", "head", "dispatched", "answer", "written"], steps
    assert steps[-1] == "closed", steps
    dispatched = next(e for e in events if e.get("name") == "dispatched"
                      and e["args"]["conn"] == conn)
    assert dispatched["ts"] < stats_app["ts"] < slow_app["ts"] + slow_app["dur"], \
        "expected /stats answered in the loop while /slow was on the pool"
    assert dispatched["args"]["where"] == "pool"


@pytest.mark.parametrize("args,message", [
    (["--port", "70000"], "bad value for --port"),
    (["--backend", "nope"], "unknown backend 'nope'"),
    (["--threads", "0"], "bad value for --threads"),
    (["--head-timeout", "-1"], "bad value for --head-timeout"),
    (["--slow-on", "moon"], "bad value for --slow-on"),
    (["--frobnicate"], "unknown option --frobnicate"),
    (["--port"], "--port needs a value"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    done = subprocess.run([serve_program(), *args], capture_output=True, text=True, timeout=20)
    assert done.returncode == 2, done
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stdout == ""
