"""Stage 3 behaviour: the fetch client on epoll, level- and edge-triggered.

Stage 1's behaviour tests also run against this program on epoll and
epoll-et (tests/CMakeLists.txt: stage03.<track>.behaviour.01-select.<backend>).
The tests here are about what stage 3 adds: the longer backend list, and a
large response on the edge-triggered backend, which only works because the
read callback drains its socket (a read-once callback would stall on it).
"""
from __future__ import annotations

import pytest

from contract import check_backend_fetches_in_readiness_order, check_large_response_arrives_whole
from fetchrun import run_fetch

BACKENDS = ["select", "poll", "epoll", "epoll-et"]


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_each_epoll_backend_fetches_and_traces_the_same(servers, backend):
    check_backend_fetches_in_readiness_order(servers, backend)


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_a_large_response_arrives_whole(servers, backend):
    check_large_response_arrives_whole(servers, backend)


def test_help_lists_the_backends_the_default_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend epoll|select|poll|epoll-et" in run.stdout, \
        f"expected --help to list the backends, epoll first, got {run.stdout!r}"
