"""Stage 4 behaviour: the fetch client on kqueue.

Stage 1's behaviour tests also run against this program on kqueue
(tests/CMakeLists.txt: stage04.<track>.behaviour.01-select.kqueue): on
Linux through the kit's emulation, on macOS on the real kqueue. The tests
here are about what stage 4 adds: kqueue in the backend list, the default.
"""
from __future__ import annotations

from fetchrun import run_fetch


def test_kqueue_fetches_and_traces_the_same(servers):
    urls = [servers.delayed(300), servers.delayed(100)]
    run = run_fetch(urls, args=["--backend", "kqueue"])
    assert run.finish_order() == urls[::-1], \
        f"expected the faster server first on kqueue, got {run.finish_order()}"
    assert run.waits(), "expected the loop's waits in the trace on kqueue, got none"


def test_a_large_response_arrives_whole(servers):
    size = 4 * 1024 * 1024
    url = servers.large_body(size)
    run = run_fetch([url], args=["--backend", "kqueue", "--timeout", "5"])
    line = run.line(url)
    assert line.kind == "ok" and line.bytes is not None and line.bytes >= size, \
        f"expected the {size}-byte body to arrive on kqueue, got {line}"


def test_help_lists_the_backends_kqueue_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend kqueue|select|poll|epoll|epoll-et" in run.stdout, \
        f"expected --help to list the backends, kqueue first, got {run.stdout!r}"
