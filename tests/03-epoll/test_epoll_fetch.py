"""Stage 3 behaviour: the fetch client on epoll, level- and edge-triggered.

Stage 1's behaviour tests also run against this program on epoll and
epoll-et (tests/CMakeLists.txt: stage03.<track>.behaviour.01-select.<backend>).
The tests here are about what stage 3 adds: the longer backend list, and a
large response on the edge-triggered backend, which only works because the
read callback drains its socket (a read-once callback would stall on it).
"""
from __future__ import annotations

import pytest

from fetchrun import run_fetch

BACKENDS = ["select", "poll", "epoll", "epoll-et"]


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_each_epoll_backend_fetches_and_traces_the_same(servers, backend):
    urls = [servers.delayed(300), servers.delayed(100)]
    run = run_fetch(urls, args=["--backend", backend])
    assert run.finish_order() == urls[::-1], \
        f"expected the faster server first on {backend}, got {run.finish_order()}"
    assert run.waits(), f"expected the loop's waits in the trace on {backend}, got none"


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_a_large_response_arrives_whole(servers, backend):
    size = 4 * 1024 * 1024
    url = servers.large_body(size)
    run = run_fetch([url], args=["--backend", backend, "--timeout", "5"])
    line = run.line(url)
    assert line.kind == "ok" and line.bytes is not None and line.bytes >= size, \
        f"expected the {size}-byte body to arrive on {backend} (ET must drain), got {line}"


def test_help_lists_the_backends_the_default_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend epoll|select|poll|epoll-et" in run.stdout, \
        f"expected --help to list the backends, epoll first, got {run.stdout!r}"
