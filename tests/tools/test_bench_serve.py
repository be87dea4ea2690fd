"""tools/bench_serve: the checks that make its table worth reading.

The benchmark compares serve with nginx only if nginx really serves the
same bytes, every idle connection it counts is really open, and a
malformed answer is caught; these tests plant each fault. They start a
real nginx (Debian's nginx-light) on 127.0.0.1 and need no root.
"""
import shutil
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench_serve"))

import bench_serve  # noqa: E402  (needs the path set above)
from clients import IdleConnections, Reader, check_hello  # noqa: E402
from servers import BenchError, nginx_string, start_nginx  # noqa: E402

needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None,
                                 reason="nginx is not installed (tools/setup.sh installs it)")


@needs_nginx
def test_nginx_serves_exactly_the_bytes_it_is_given():
    body = b'He said "hi" \\ back\r\n\ttabbed\n'
    server = start_nginx(body, "text/plain; charset=utf-8", None, 10, 30)
    try:
        answer = check_hello(server.url)
        assert answer.body == body
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert server.pid != server.process.pid, "the worker, not the master, is measured"
        assert server.cpu_seconds() >= 0 and server.rss_kib() > 0
    finally:
        assert server.stop() == 0


def test_a_body_nginx_cannot_say_is_refused():
    for body in (b"costs $5", b"\x00binary"):
        with pytest.raises(BenchError):
            nginx_string(body)


@needs_nginx
def test_idle_connections_are_all_open_after_thousands():
    """With the default worker_connections nginx drops idle ones past ~1,000; ours must not."""
    server = start_nginx(b"ok\n", "text/plain", None, 1500, 30)
    try:
        with IdleConnections(server.url, 1500, 60) as idle:
            assert len(idle.readers) == 1500
            assert idle.verify() == 0
    finally:
        server.stop()


@needs_nginx
def test_a_dropped_idle_connection_is_counted():
    server = start_nginx(b"ok\n", "text/plain", None, 10, 30)
    try:
        with IdleConnections(server.url, 5, 30) as idle:
            idle.readers[2].sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed it
            assert idle.verify() == 1
    finally:
        server.stop()


def one_answer(raw: bytes):
    """Reader.response() on what a fake server sends, then closes."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(raw)  # a few bytes: the socket buffer holds them
        theirs.shutdown(socket.SHUT_WR)
        return Reader(ours).response()


def test_a_well_formed_answer_is_read_whole():
    answer = one_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc")
    assert (answer.status, answer.body, answer.headers["x-a"]) == (200, b"abc", "b")


@pytest.mark.parametrize("raw", [
    b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",  # not HTTP/1.1
    b"HTTP/1.1 200 OK\r\n\r\nabc",  # no Content-Length on a keep-alive answer
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",  # body cut short
    b"HTTP/1.1 200 OK\r\nbroken header\r\nContent-Length: 3\r\n\r\nabc",
])
def test_a_malformed_answer_is_refused(raw):
    with pytest.raises(BenchError):
        one_answer(raw)


def test_errors_and_empty_runs_are_problems_but_slowness_is_not():
    def run(requests, **errors):
        counts = dict.fromkeys(("connect", "read", "write", "timeout", "status"), 0) | errors
        return bench_serve.Run(requests, 1.0, 100 * requests, 0.5, 0, counts, 100, 900)

    slow = bench_serve.Row("slow", [run(10)])
    assert bench_serve.problems([slow]) == []
    assert bench_serve.problems([bench_serve.Row("idle", [run(0)])])
    assert bench_serve.problems([bench_serve.Row("reset", [run(1000, read=3)])])
    assert bench_serve.problems([bench_serve.Row("404", [run(1000, status=1000)])])
