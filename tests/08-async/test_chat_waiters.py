"""Stage 8: the waiters leave nothing behind (lessons/08-async.md, "The waiters").

Every way a parked client's wait ends frees what it held: answered, its
timer is cancelled (the loop's timer count comes back down at once, not
after the poll timeout); gone, it is dropped at once (parked count, fds
and timers back); a pipelined next request answered in the same turn
parks again instead of being answered twice; and a shutdown releases the
parked clients at once instead of waiting out the grace period. On every
backend.
"""
from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from chatrun import chat_server, chat_stats, park, post, settled_fd_count
from fetchrun import backends_under_test, wait_until

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)
PARK_S = 3.0  # a request is parked within milliseconds; this is the wide margin
COUNT = 20


@backends
def test_answered_waiters_leave_no_timer(backend):
    with chat_server(backend=backend) as server:
        idle = chat_stats(server)
        clients = [park(server, 0) for _ in range(COUNT)]
        assert wait_until(lambda: chat_stats(server)["parked"] == COUNT, PARK_S)
        parked = chat_stats(server)
        assert parked["timers"] >= idle["timers"] + COUNT, \
            f"expected a poll timer per parked client: idle {idle}, parked {parked}"
        post(server, "wake up")
        for client in clients:
            assert client.read_response()[0] == 200
            client.close()
        # Long before the 30 s poll timeout: the timers were cancelled.
        assert wait_until(lambda: chat_stats(server)["timers"] <= idle["timers"], 5), \
            f"expected the answered clients' timers cancelled: idle {idle}, " \
            f"now {chat_stats(server)}"
        assert server.stop()[0] == 0


@backends
def test_clients_that_leave_while_parked_are_dropped_at_once(backend):
    with chat_server(backend=backend) as server:
        idle = chat_stats(server)
        fds = settled_fd_count(server)
        clients = [park(server, 0) for _ in range(COUNT)]
        assert wait_until(lambda: chat_stats(server)["parked"] == COUNT, PARK_S)
        for number, client in enumerate(clients):
            if number % 2:  # half reset, half close in order
                client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()
        assert wait_until(lambda: chat_stats(server)["parked"] == 0, PARK_S), chat_stats(server)
        assert wait_until(lambda: server.fd_count() <= fds, 5), \
            f"expected the server's fds back to {fds}, it has {server.fd_count()}"
        assert chat_stats(server)["timers"] <= idle["timers"], chat_stats(server)
        # The chat still works, and nobody is answered twice.
        assert post(server, "still here") == (200, {"id": 0})
        assert server.stop()[0] == 0


@backends
def test_a_pipelined_next_request_parks_again(backend):
    with chat_server(backend=backend) as server:
        client = server.connect()
        client.send(b"GET /chat/get/0 HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /chat/get/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: chat_stats(server)["parked"] == 1, PARK_S)
        post(server, "zero")
        status, _, body = client.read_response()
        assert (status, json.loads(body)["id"]) == (200, 0)
        # The second request came out of the buffer during the broadcast:
        # it waits for message 1, it is not answered with message 0.
        assert wait_until(lambda: chat_stats(server)["parked"] == 1, PARK_S), chat_stats(server)
        post(server, "one")
        status, _, body = client.read_response()
        assert (status, json.loads(body)) == (200, {"id": 1, "message": "one"})
        client.close()
        assert server.stop()[0] == 0


@backends
def test_shutdown_releases_parked_clients_at_once(backend):
    with chat_server("--grace", "20", backend=backend) as server:
        clients = [park(server, 0) for _ in range(3)]
        assert wait_until(lambda: chat_stats(server)["parked"] == 3, PARK_S)
        began = time.monotonic()
        server.send(signal.SIGTERM)
        for client in clients:
            assert client.read_response()[0] == 204
            assert client.closed_cleanly()
            client.close()
        status, _ = server.wait(10)
        took = time.monotonic() - began
        assert status == 0
        assert took < 5, f"expected the parked clients released at once, the exit took {took:.1f} s"
