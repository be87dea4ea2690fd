"""Stage 3 behaviour: the fetch client on epoll, level- and edge-triggered.

Stage 1's behaviour tests also run against this program on epoll and
epoll-et (tests/CMakeLists.txt: stage03.<track>.behaviour.01-select.<backend>).
The tests here are about what stage 3 adds: the longer backend list, and
the edge-triggered drain (exercises/03-epoll/edge_reads.cpp): a large
response arrives whole only when the read callback drains its socket (a
read-once callback stalls on it), and a reset found while draining is
reported as a reset (a peek that swallows the error turns it into a hang).
"""
from __future__ import annotations

import pytest

from contract import check_backend_fetches_in_readiness_order, check_large_response_arrives_whole
from fetchrun import backend_args, run_fetch

BACKENDS = ["select", "poll", "epoll", "epoll-et"]


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_each_epoll_backend_fetches_and_traces_the_same(servers, backend):
    check_backend_fetches_in_readiness_order(servers, backend)


@pytest.mark.parametrize("backend", ["epoll", "epoll-et"])
def test_a_large_response_arrives_whole(servers, backend):
    check_large_response_arrives_whole(servers, backend)


def test_a_reset_found_while_draining_is_reported_as_reset(servers):
    """The body and the RST are both waiting when the first read runs
    (--stall holds it back), so the drain's peek is what finds ECONNRESET;
    and finding it consumes it. A drain that takes the error for "empty"
    leaves a socket that epoll-et never reports again: a timeout."""
    url = servers.reset_mid_body()
    run = run_fetch([url], args=[*backend_args("epoll-et"), "--stall", "0.3", "--timeout", "3"])
    line = run.line(url)
    assert line.kind == "fail" and line.reason == "reset", \
        f"expected fail reset on epoll-et when the reset is found while draining, got {line}"


def test_help_lists_the_backends_the_default_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend epoll|select|poll|epoll-et" in run.stdout, \
        f"expected --help to list the backends, epoll first, got {run.stdout!r}"
