"""Stage 7, the point of the stage: the loop stays free (lessons/07-serve.md).

A synchronous application that blocks (/slow, a database call's stand-in)
runs on the pool, so the loop goes on accepting, parsing and answering:
/stats (asynchronous, in the loop) and /hello answer at once while /slow
requests sleep. With the pool full, a synchronous /hello waits for a worker
while /stats still answers at once: the pool is the bottleneck, not the
loop. And the same slow application mounted *asynchronous* by mistake
(`--slow-on loop`) sleeps in the loop and stalls every client: the first
source text's one hanging handler that blocks the whole system.

On every backend. Times are wide margins around orderings: SLOW_S is
several times FAST_S, the most a quick answer may take here.
"""
from __future__ import annotations

import select
import threading
import time

import pytest

from fetchrun import backends_under_test, wait_until
from serverun import Server

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)

SLOW_MS = 1000
SLOW_S = SLOW_MS / 1000
# A quick answer, with a wide margin for a sanitizer build on a busy 2-core
# machine; the orderings below (a quick answer before any slow one ends)
# are what the tests rest on, and load does not change them.
FAST_S = 0.5


def in_background(server: Server, path: str, count: int) -> tuple[list, list]:
    """Starts `count` requests for `path` on threads; returns the list their
    (status, body, seconds, ended at) results land in (status None: the
    request failed), and the threads."""
    results: list = []

    def one() -> None:
        try:
            results.append((*server.timed_get(path), time.monotonic()))
        except OSError as error:
            results.append((None, repr(error).encode(), 0.0, 0.0))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def wait_on_pool(server: Server, count: int) -> None:
    assert wait_until(lambda: server.stats()["on_pool"] >= count, 5), \
        f"expected {count} requests on the pool, stats: {server.stats()}"


@backends
def test_slow_requests_on_the_pool_do_not_delay_the_loop(backend):
    with Server("--threads", "4", backend=backend) as server:
        results, threads = in_background(server, f"/slow?ms={SLOW_MS}", 2)
        wait_on_pool(server, 2)
        status, _, stats_s = server.timed_get("/stats")
        hello_status, hello, hello_s = server.timed_get("/hello")
        quick_ended = time.monotonic()
        for thread in threads:
            thread.join()
        assert (status, hello_status, hello) == (200, 200, b"hello\n")
        assert sorted(r[0] for r in results) == [200, 200], results
        assert quick_ended < min(r[3] for r in results), \
            "expected /stats and /hello answered while both /slow still slept on the pool"
        assert stats_s < FAST_S and hello_s < FAST_S, \
            f"expected /stats and /hello at once while two /slow sleep on the pool, took " \
            f"{stats_s:.2f} s and {hello_s:.2f} s"
        assert all(r[2] >= SLOW_S * 0.9 for r in results), results
        assert server.stop()[0] == 0


@backends
def test_a_full_pool_makes_a_synchronous_hello_wait_but_not_stats(backend):
    with Server("--threads", "2", "--hello-on", "pool", backend=backend) as server:
        results, threads = in_background(server, f"/slow?ms={SLOW_MS}", 2)
        wait_on_pool(server, 2)
        status, _, stats_s = server.timed_get("/stats")
        stats_ended = time.monotonic()
        hello_status, _, hello_s = server.timed_get("/hello")
        for thread in threads:
            thread.join()
        assert (status, hello_status) == (200, 200)
        first_slow_ended = min(r[3] for r in results)
        assert stats_ended < first_slow_ended, "expected /stats before either /slow ended"
        assert stats_s < FAST_S, f"expected /stats, in the loop, at once; took {stats_s:.2f} s"
        assert hello_s > SLOW_S / 2 and hello_s > stats_s * 3, \
            f"expected /hello on a full pool to wait for a worker, took {hello_s:.2f} s " \
            f"(/stats {stats_s:.2f} s)"
        assert server.stop()[0] == 0


@backends
def test_a_slow_application_mounted_in_the_loop_stalls_everyone(backend):
    with Server("--slow-on", "loop", backend=backend) as server:
        # The sleeping request is on the loop thread: nothing else can even
        # be accepted until it ends, so its start cannot be seen in /stats.
        # A head start instead: the slow request's connection goes first.
        slow = server.connect()
        slow.send(f"GET /slow?ms={SLOW_MS} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.2)
        status, _, stats_s = server.timed_get("/stats")
        # An ordering, not a time: the loop answered /stats only after the
        # sleep ended, so the slow answer is already here when /stats is.
        slow_already_answered = bool(select.select([slow.sock], [], [], 0)[0])
        assert slow.read_response()[0] == 200
        slow.close()
        assert status == 200
        assert slow_already_answered, \
            f"expected /stats answered after the sleep in the loop ended, got it after {stats_s:.2f} s"
        assert stats_s > FAST_S / 5, \
            f"expected /stats stalled behind the sleep in the loop, answered in {stats_s:.2f} s"
