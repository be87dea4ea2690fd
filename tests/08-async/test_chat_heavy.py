"""Stage 8's point, measured: parked clients cost no thread.

1,000 long-poll clients parked at once all receive one broadcast, each
exactly once, within a wide bound, while the server runs one loop thread
plus its pool (from /proc); then 200 parked clients that disconnect are
all dropped and the server's fd count comes back. One backend per track
(KIT_HEAVY_BACKEND): these are heavy.
"""
from __future__ import annotations

import json
import os
import time

from chatrun import chat_server, chat_stats, open_parked, post, read_answers, task_count
from fetchrun import backends_under_test, wait_until
from serverun import raise_fd_limit

HEAVY = os.environ.get("KIT_HEAVY_BACKEND", backends_under_test(["poll"])[0])
THREADS = 4
FAN_OUT_LIMIT_S = 10.0  # wide: a sanitizer build on a busy 2-core machine


def test_a_thousand_parked_clients_get_one_broadcast_each_once():
    count = 1000
    raise_fd_limit(count + 300)
    with chat_server("--threads", str(THREADS), backend=HEAVY) as server:
        clients = open_parked(server, count, 0)
        try:
            assert wait_until(lambda: chat_stats(server)["parked"] > 0, 3), "no client parks"
            assert wait_until(lambda: chat_stats(server)["parked"] == count, 20), chat_stats(server)
            threads = task_count(server.pid)
            # ThreadSanitizer's runtime adds a thread of its own.
            assert threads in (1 + THREADS, 2 + THREADS), \
                f"expected the loop and {THREADS} workers, {count} parked: {threads} threads"
            posted = time.monotonic()
            assert post(server, "to everyone") == (200, {"id": 0})
            answers, last = read_answers(
                clients, lambda got: got.endswith(b'"message":"to everyone"}'), FAN_OUT_LIMIT_S,
                linger_s=0.3)
            fan_out_s = last - posted
            for answer in answers:
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 OK"), answer[:80]
                assert json.loads(body) == {"id": 0, "message": "to everyone"}, \
                    f"expected exactly one answer, got {answer!r}"
            print(f"fan-out to {count} parked clients: {fan_out_s * 1000:.0f} ms")
            assert fan_out_s < FAN_OUT_LIMIT_S
            assert chat_stats(server)["parked"] == 0
            assert task_count(server.pid) == threads, "no thread may be added for the answers"
        finally:
            for sock in clients:
                sock.close()
        assert server.stop()[0] == 0


def test_two_hundred_parked_clients_that_leave_are_all_dropped():
    count = 200
    raise_fd_limit(count + 300)
    with chat_server(backend=HEAVY) as server:
        fds = server.fd_count()
        clients = open_parked(server, count, 0)
        assert wait_until(lambda: chat_stats(server)["parked"] > 0, 3), "no client parks"
        assert wait_until(lambda: chat_stats(server)["parked"] == count, 20), chat_stats(server)
        assert server.fd_count() >= fds + count
        for sock in clients:
            sock.close()
        assert wait_until(lambda: chat_stats(server)["parked"] == 0, 10), chat_stats(server)
        assert wait_until(lambda: server.fd_count() == fds, 10), \
            f"expected the fds back to {fds}, the server has {server.fd_count()}"
        assert server.stop()[0] == 0
