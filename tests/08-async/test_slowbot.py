"""Stage 8: synchronous meets asynchronous through post() (lessons/08-async.md).

The slowbot blocks on a pool worker, then posts its message into the loop,
which appends it and answers the parked clients; its own client gets 202
after the message is in. And with the pool saturated by /slow, the chat,
which runs in the loop, still delivers at once (a wide margin), on one backend; the slowbot on every backend.
"""
from __future__ import annotations

import json
import os
import threading
import time

import pytest

from chatrun import chat_server, chat_stats, park, post
from fetchrun import backends_under_test, wait_until

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)
PARK_S = 3.0  # a request is parked within milliseconds; this is the wide margin
HEAVY = os.environ.get("KIT_HEAVY_BACKEND", BACKENDS[0])
THINK_S = 0.3
SLOW_MS = 1500
FAST_S = 0.5  # a quick answer under a sanitizer on a busy 2-core machine


@backends
def test_the_slowbot_speaks_through_the_loop(backend):
    with chat_server("--slowbot-think", str(THINK_S), backend=backend) as server:
        waiter = park(server, 0)
        assert wait_until(lambda: chat_stats(server)["parked"] == 1, PARK_S)
        began = time.monotonic()
        status, _, took = server.timed_get("/chat/slowbot", method="POST")
        assert status == 202
        assert took >= THINK_S * 0.9, f"the slowbot answered after {took:.2f} s, before thinking"
        # The message was posted before the 202: it is in the chat already.
        assert chat_stats(server)["messages"] == 1
        status, _, body = waiter.read_response()
        answer = json.loads(body)
        assert status == 200 and answer["id"] == 0
        assert answer["message"].startswith("slowbot: "), answer
        assert time.monotonic() - began < THINK_S + 5
        waiter.close()
        assert server.stop()[0] == 0


def test_a_saturated_pool_does_not_delay_the_chat():
    threads = 2
    with chat_server("--threads", str(threads), backend=HEAVY) as server:
        slow = [threading.Thread(target=server.get, args=(f"/slow?ms={SLOW_MS}",))
                for _ in range(threads + 2)]  # every worker busy, and two queued
        for thread in slow:
            thread.start()
        assert wait_until(lambda: server.stats()["on_pool"] == threads + 2, 5), server.stats()
        waiter = park(server, 0)
        assert wait_until(lambda: chat_stats(server)["parked"] == 1, FAST_S * 4)
        began = time.monotonic()
        assert post(server, "through a busy pool") == (200, {"id": 0})
        status, _, body = waiter.read_response()
        delivered_s = time.monotonic() - began
        busy = server.stats()["on_pool"]
        for thread in slow:
            thread.join()
        assert status == 200 and json.loads(body)["message"] == "through a busy pool"
        assert busy > 0, "the pool must still have been busy when the message arrived"
        assert delivered_s < FAST_S and delivered_s * 4 < SLOW_MS / 1000, \
            f"expected the message at once with the pool full, it took {delivered_s:.2f} s"
        waiter.close()
        assert server.stop()[0] == 0
