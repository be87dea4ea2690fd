"""Stage 4 behaviour: the fetch client on kqueue.

Stage 1's behaviour tests also run against this program on kqueue
(tests/CMakeLists.txt: stage04.<track>.behaviour.01-select.kqueue): on
Linux through the kit's emulation, on macOS on the real kqueue. The tests
here are about what stage 4 adds: kqueue in the backend list, the default.
"""
from __future__ import annotations

import sys

import pytest

from contract import check_backend_fetches_in_readiness_order, check_large_response_arrives_whole
from fetchrun import run_fetch

# epoll-et too where there is epoll: this program must still drain on it.
LARGE_RESPONSE_BACKENDS = ["kqueue"] + (["epoll-et"] if sys.platform.startswith("linux") else [])


def test_kqueue_fetches_and_traces_the_same(servers):
    check_backend_fetches_in_readiness_order(servers, "kqueue")


@pytest.mark.parametrize("backend", LARGE_RESPONSE_BACKENDS)
def test_a_large_response_arrives_whole(servers, backend):
    check_large_response_arrives_whole(servers, backend)


def test_help_lists_the_backends_kqueue_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend kqueue|select|poll|epoll|epoll-et" in run.stdout, \
        f"expected --help to list the backends, kqueue first, got {run.stdout!r}"
