"""Stage 7: the service under strain (lessons/07-serve.md).

Many connections at once, clients that dawdle (slowloris), clients that
vanish mid-request or mid-answer, clients that stop reading, running out
of fds, and a shutdown with requests in flight. In each the server must
stay up, keep serving the others, leak nothing (its fds are counted in
/proc before and after) and never spin. The heaviest tests run on one
backend per track (KIT_HEAVY_BACKEND); the rest on every backend.
"""
from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import socket
import threading
import time

import pytest

from fetchrun import backends_under_test, wait_until
from serverun import Server, raise_fd_limit

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)
HEAVY = os.environ.get("KIT_HEAVY_BACKEND", BACKENDS[0])

GET_HELLO = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
FAST_S = 0.4  # a quick answer under a sanitizer on a busy 2-core machine


def cpu_used_while(server: Server, seconds: float) -> float:
    before = server.cpu_seconds()
    time.sleep(seconds)
    return server.cpu_seconds() - before


@backends
def test_idle_connections_cost_no_cpu_and_close_on_their_timeouts(backend):
    with Server("--idle-timeout", "0.8", "--head-timeout", "0.8", backend=backend) as server:
        with server.connect() as idle, server.connect() as silent:
            idle.send(GET_HELLO)
            assert idle.read_response()[0] == 200
            answered = time.monotonic()
            # After an answer the write interest must go off: left on, a
            # level-triggered backend reports the socket writable at every
            # wait, and the loop spins at full speed with nothing to write.
            used = cpu_used_while(server, 0.4)
            assert used < 0.15, \
                f"expected an idle server to sleep, it used {used:.2f} s of CPU in 0.4 s"
            assert idle.closed_cleanly(5), "expected an idle keep-alive connection closed cleanly"
            idle_s = time.monotonic() - answered
            # A connection that never sends a byte is a head that never comes: 408.
            assert silent.read_response()[0] == 408
        assert 0.6 < idle_s < 3, f"expected the close after about 0.8 s idle, got {idle_s:.2f} s"
        stats = server.stats()
        assert (stats["idle_timeouts"], stats["head_timeouts"]) == (1, 1), stats


def test_a_thousand_keep_alive_connections(tmp_path):
    count = 1000
    raise_fd_limit(count + 200)
    with Server("--idle-timeout", "60", backend=HEAVY) as server:
        clients = [socket.create_connection((server.host, server.port), timeout=10)
                   for _ in range(count)]
        try:
            for round_number in range(2):  # the second round reuses every connection
                for sock in clients:
                    sock.sendall(GET_HELLO)
                answers = read_all_answers(clients, time_limit_s=60)
                assert all(a.startswith(b"HTTP/1.1 200 OK") and a.endswith(b"\r\n\r\nhello\n")
                           for a in answers), f"round {round_number}: a bad answer"
            stats = server.stats()
            assert stats["accepted"] == count + 1 and stats["open"] == count + 1, stats
            assert stats["requests"] == 2 * count + 1, stats
        finally:
            for sock in clients:
                sock.close()
        assert wait_until(lambda: server.stats()["open"] == 1, 10)
        assert server.stop()[0] == 0


def read_all_answers(clients: list[socket.socket], time_limit_s: float) -> list[bytes]:
    """One /hello answer from each client, read as they come (selectors)."""
    answers = {sock: b"" for sock in clients}
    pending = set(clients)
    with selectors.DefaultSelector() as selector:
        for sock in clients:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + time_limit_s
        while pending and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                sock = key.fileobj
                chunk = sock.recv(4096)
                assert chunk, "expected an answer, got EOF"
                answers[sock] += chunk
                if answers[sock].endswith(b"hello\n"):
                    pending.discard(sock)
                    selector.unregister(sock)
    assert not pending, f"{len(pending)} of {len(clients)} connections got no answer in time"
    return [answers[sock] for sock in clients]


def test_slowloris_is_reaped_on_time_while_others_are_served():
    head_timeout = 0.5
    with Server("--head-timeout", str(head_timeout), backend=HEAVY) as server:
        quick_times: list[float] = []
        stop = threading.Event()

        def quick_client() -> None:
            while not stop.is_set():
                quick_times.append(server.timed_get("/hello")[2])
                time.sleep(0.02)

        quick = threading.Thread(target=quick_client)
        quick.start()
        slow = [server.connect() for _ in range(5)]
        started = time.monotonic()
        request = b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        reaped_at: dict[int, float] = {}
        try:
            for i in range(len(request)):  # one byte each per 50 ms, until all are answered
                for n, client in enumerate(slow):
                    if n not in reaped_at:
                        try:
                            client.send(request[i:i + 1])
                        except OSError:
                            reaped_at[n] = time.monotonic() - started
                            continue
                        client.sock.setblocking(False)
                        try:
                            if client._fill():
                                reaped_at[n] = time.monotonic() - started
                        except BlockingIOError:
                            pass
                        finally:
                            client.sock.setblocking(True)
                if len(reaped_at) == len(slow) or time.monotonic() - started > 5:
                    break
                time.sleep(0.05)
        finally:
            stop.set()
            quick.join()
        for n, client in enumerate(slow):
            if client.buffer:
                assert client.read_response()[0] == 408, client.buffer
            client.close()
        assert len(reaped_at) == len(slow), f"expected all 5 slowloris reaped, got {reaped_at}"
        assert all(head_timeout * 0.8 < t < head_timeout + 1.5 for t in reaped_at.values()), \
            f"expected each reaped about {head_timeout} s after it began: {reaped_at}"
        assert len(quick_times) >= 5 and max(quick_times) < FAST_S, \
            f"expected the other clients served at once meanwhile: {quick_times}"
        assert server.stats()["head_timeouts"] == 5


def test_disconnects_mid_request_and_mid_answer_cost_nothing(tmp_path):
    big = os.urandom(4 * 1024 * 1024)
    (tmp_path / "big.bin").write_bytes(big)
    with Server("--root", str(tmp_path), backend=HEAVY) as server:
        fds_before = server.fd_count()  # no connection yet
        assert server.get("/hello")[0] == 200
        for _ in range(10):
            with server.connect() as client:  # mid-head
                client.send(b"GET /hello HTTP/1.1\r\nHo")
            with server.connect() as client:  # mid-body
                client.send(b"POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n1 2")
            with server.connect() as client:  # mid-answer: 4 MiB does not fit the buffers
                client.send(b"GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
                client.sock.recv(1024)
            with server.connect() as client:  # gone before its pool answer
                client.send(b"GET /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: server.stats()["on_pool"] == 0 and server.stats()["open"] == 1,
                          10), server.stats()
        assert server.running(), "the server died (SIGPIPE?)"
        assert wait_until(lambda: server.fd_count() == fds_before, 5), \
            f"expected {fds_before} fds after the disconnects, got {server.fd_count()}"
        status, body = server.get("/files/big.bin")
        assert status == 200 and body == big, "a whole large answer, written in many pieces"
        assert server.stop()[0] == 0


def test_a_client_that_stops_reading_is_dropped(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * (8 * 1024 * 1024))
    with Server("--root", str(tmp_path), "--idle-timeout", "0.5", backend=HEAVY) as server:
        with server.connect() as client:
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.send(b"GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            assert wait_until(lambda: server.stats()["write_timeouts"] == 1, 10), server.stats()
            quick = server.timed_get("/hello")
            assert quick[0] == 200 and quick[2] < FAST_S


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds in /proc")
def test_out_of_fds_the_server_survives_and_serves_again():
    limit = 40

    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    with Server(backend=HEAVY, preexec_fn=low_fd_limit) as server:
        keeper = server.connect()
        keeper.send(GET_HELLO)
        assert keeper.read_response()[0] == 200
        flood = [socket.create_connection((server.host, server.port), timeout=5)
                 for _ in range(2 * limit)]
        try:
            def exhausted() -> bool:  # asked on a connection accepted before the flood
                keeper.send(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
                status, _, body = keeper.read_response()
                return status == 200 and json.loads(body)["fd_exhaustions"] > 0

            assert wait_until(exhausted, 5), "expected the server to run out of fds"
            used = cpu_used_while(server, 0.5)
            assert used < 0.25, f"expected no spin while out of fds, used {used:.2f} s of CPU"
            assert server.fd_count() <= limit
        finally:
            for sock in flood:
                sock.close()
        keeper.close()
        assert wait_until(lambda: _hello_works(server), 10), \
            "expected the server to serve again once fds were free"
        assert server.stop()[0] == 0


def _hello_works(server: Server) -> bool:
    try:
        return server.get("/hello", timeout=2)[0] == 200
    except OSError:
        return False


@backends
def test_shutdown_lets_requests_in_flight_finish(backend):
    with Server("--threads", "2", backend=backend) as server:
        slow = [server.connect() for _ in range(2)]
        for client in slow:
            client.send(b"GET /slow?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n")
        idle, partial = server.connect(), server.connect()
        idle.send(GET_HELLO)
        assert idle.read_response()[0] == 200
        partial.send(b"GET /hello HTTP/1.1\r\nHo")
        assert wait_until(lambda: server.stats()["on_pool"] == 2, 5)
        server.send(signal.SIGTERM)
        assert idle.closed_cleanly(5) and partial.closed_cleanly(5), \
            "expected the connections without a request in flight closed at once"
        assert wait_until(lambda: _refused(server), 5), "expected no new connections after SIGTERM"
        for client in slow:
            status, fields, body = client.read_response()
            assert (status, body, fields.get("connection")) == (200, b"slept 600 ms\n", "close")
            assert client.closed_cleanly(5)
            client.close()  # the server waits for our EOF (a lingering close) before it exits
        assert server.wait(10)[0] == 0


def _refused(server: Server) -> bool:
    try:
        socket.create_connection((server.host, server.port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def test_shutdown_closes_what_outlives_the_grace_and_sigint_works_too():
    with Server("--grace", "0.3", backend=HEAVY) as server, server.connect() as client:
        client.send(b"GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: server.stats()["on_pool"] == 1, 5)
        began = time.monotonic()
        server.send(signal.SIGINT)
        assert client.closed_cleanly(5), "expected a close without half an answer"
        closed_s = time.monotonic() - began
        assert closed_s < 1.0, f"expected the close at the end of the 0.3 s grace, {closed_s:.2f} s"
        assert server.wait(10)[0] == 0


def test_files_under_the_root_and_nothing_outside_it(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "page.txt").write_bytes(b"a page\n")
    (tmp_path / "secret.txt").write_bytes(b"outside the root\n")
    with Server("--root", str(root), backend=HEAVY) as server:
        assert server.get("/files/sub/page.txt") == (200, b"a page\n")
        with server.connect() as client:
            client.send(b"HEAD /files/sub/page.txt HTTP/1.1\r\nHost: x\r\n\r\n" + GET_HELLO)
            status, fields, _ = client.read_response(head=True)
            assert (status, fields["content-length"]) == (200, "7")
            assert client.read_response()[2] == b"hello\n", "expected no body after the HEAD"
        for path in ["/files/../secret.txt", "/files/sub/../../secret.txt",
                     "/files/%2e%2e/secret.txt", "/files/"]:
            with server.connect() as client:  # raw: a client library would tidy the path
                client.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status, _, body = client.read_response()
                assert status == 403 and b"outside" not in body, (path, status, body)
        assert server.get("/files/missing.txt")[0] == 404
        assert server.get("/files/sub")[0] == 404, "a directory is not a file"
        assert server.get("/files/sub/page.txt", method="POST", body=b"")[0] == 405
