"""Stage 8: the two source texts meet (lessons/08-async.md, "The full circle").

/aggregate fetches its upstreams with the kit's fetch client on the
service's own loop: with a fast, a slow and a silent upstream (the
fixture servers) it answers after the slowest one, or the silent one's
timeout, with each outcome right; meanwhile other clients are served at
once; no thread is added; and a client that leaves mid-way leaves no fd
behind. The fast, slow and silent case on every backend, the rest on one.
"""
from __future__ import annotations

import json
import os
import threading
import urllib.parse

import pytest

from chatrun import chat_server, settled_fd_count, task_count
from fetchrun import backends_under_test, wait_until
from fixtures import pattern_bytes

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)
HEAVY = os.environ.get("KIT_HEAVY_BACKEND", BACKENDS[0])
SLOW_MS = 400
UPSTREAM_TIMEOUT_S = 0.8
FAST_S = 0.4  # a quick answer under a sanitizer on a busy 2-core machine


def aggregate_path(*urls: str) -> str:
    return "/aggregate?" + "&".join("url=" + urllib.parse.quote(url, safe="") for url in urls)


@backends
def test_fast_slow_and_silent_upstreams(backend, servers):
    fast, slow, silent = servers.delayed(0, body_bytes=300), servers.delayed(SLOW_MS), \
        servers.silent()
    refused = servers.refused()
    with chat_server("--upstream-timeout", str(UPSTREAM_TIMEOUT_S), "--aggregate-timeout", "5",
                     backend=backend) as server:
        threads = task_count(server.pid)
        result: list = []
        client = threading.Thread(target=lambda: result.append(
            server.timed_get(aggregate_path(fast, slow, silent, refused))))
        client.start()
        assert wait_until(lambda: server.fd_count() > 5 and task_count(server.pid) == threads, 2)
        # Meanwhile the loop serves everyone else at once.
        hello_status, _, hello_s = server.timed_get("/hello")
        assert task_count(server.pid) == threads, "the aggregator must add no thread"
        client.join()
        status, body, took = result[0]
        assert (hello_status, status) == (200, 200)
        assert hello_s < FAST_S, f"/hello took {hello_s:.2f} s during the aggregation"
        upstreams = json.loads(body)["upstreams"]
        assert [u["url"] for u in upstreams] == [fast, slow, silent, refused]
        assert upstreams[0] == {"url": fast, "ok": True, "status": 200, "bytes": 300,
                                "body": pattern_bytes(0, 256).decode()}
        assert upstreams[1]["ok"] and upstreams[1]["bytes"] == 1000
        assert upstreams[2] == {"url": silent, "ok": False, "error": "idle-timeout"}
        assert upstreams[3] == {"url": refused, "ok": False, "error": "refused"}
        assert UPSTREAM_TIMEOUT_S * 0.9 < took < UPSTREAM_TIMEOUT_S + 3, \
            f"expected the answer at the silent upstream's timeout, got it after {took:.2f} s"
        assert hello_s * 2 < took
        assert server.stop()[0] == 0


def test_the_deadline_ends_what_is_left(servers):
    fast, silent = servers.delayed(0), servers.silent()
    with chat_server("--upstream-timeout", "30", "--aggregate-timeout", "0.5",
                     backend=HEAVY) as server:
        status, body, took = server.timed_get(aggregate_path(fast, silent))
        upstreams = json.loads(body)["upstreams"]
        assert status == 200 and upstreams[0]["ok"]
        assert upstreams[1] == {"url": silent, "ok": False, "error": "timeout"}
        assert 0.4 < took < 3.5, f"expected the answer at the 0.5 s deadline, took {took:.2f} s"
        assert server.stop()[0] == 0


def test_bad_requests_and_a_client_that_leaves(servers):
    silent = servers.silent()
    with chat_server(backend=HEAVY) as server:
        for path in ["/aggregate", "/aggregate?x=1", "/aggregate?url=ftp://x/",
                     "/aggregate?url=http://localhost:1/", "/aggregate?url=%zz",
                     "/aggregate?" + "&".join(["url=http://127.0.0.1:1/"] * 17)]:
            status, body = server.get(path)
            assert status == 400 and json.loads(body)["error"], (path, status, body)
        fds = settled_fd_count(server)
        client = server.connect()
        client.send(f"GET {aggregate_path(silent, silent)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert wait_until(lambda: servers.connections(silent) == 2, 5), \
            "expected the two upstream connections"
        client.close()
        assert wait_until(lambda: server.fd_count() <= fds, 5), \
            f"expected the upstream connections closed with the client: {server.fd_count()} fds"
        assert server.stop()[0] == 0
