"""Stage 0 behaviour: the blocking fetch, on real sockets (lessons/00-blocking.md).

What these tests show: a blocking client handles one target at a time, so
targets finish in the order they were asked for, the run takes the *sum*
of the servers' delays, and a silent server holds up everyone behind it
for the whole timeout. Failures of one target (refused, reset, garbage)
are reported with their reason while the others still complete.

Times are checked as orderings and generous bounds only: machines are noisy.
"""
import pytest

from contract import (FAILING_CASES, FAILING_IDS, check_failure_stays_alone, check_one_target,
                      check_usage_error)
from fetchrun import run_fetch


def test_one_target_reports_status_and_body_bytes(servers):
    check_one_target(servers)


def test_targets_finish_in_request_order_and_take_the_sum_of_delays(servers):
    delays_ms = [900, 600, 300]
    urls = [servers.delayed(d) for d in delays_ms]
    run = run_fetch(urls)
    assert run.finish_order() == urls, \
        f"expected targets to finish in request order, got {run.finish_order()}"
    assert run.total_ms >= sum(delays_ms), \
        f"expected a total of at least the sum of delays ({sum(delays_ms)} ms), got {run.total_ms}"
    spans = [run.span(url) for url in urls]
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start >= end, f"expected no overlap between targets, got spans {spans}"


def test_a_silent_server_delays_every_later_target_by_the_timeout(servers):
    timeout_s = 1.0
    silent = servers.silent()
    quick = [servers.delayed(0), servers.delayed(0)]
    run = run_fetch([silent] + quick, timeout=timeout_s)
    assert run.line(silent).reason == "timeout", f"expected timeout, got {run.line(silent)}"
    for url in quick:
        line = run.line(url)
        assert line.kind == "ok", f"expected ok for {url}, got {line}"
        assert line.ms >= 0.9 * timeout_s * 1000, \
            f"expected {url} to wait behind the silent server (>= ~{timeout_s * 1000:.0f} ms), " \
            f"got {line.ms} ms"


def test_the_timeout_bounds_each_receive_not_the_whole_target(servers):
    # 10 chunks, 150 ms apart: 1.5 s in all, but never 0.5 s without a byte.
    url = servers.trickle(total_bytes=1000, chunk_bytes=100, interval_ms=150)
    run = run_fetch([url], timeout=0.5)
    line = run.line(url)
    assert (line.kind, line.bytes) == ("ok", 1000), \
        f"expected every trickled byte (ok, 1000), got {line}"
    assert line.ms >= 1000, f"expected the trickle to take its time, got {line.ms} ms"


@pytest.mark.parametrize("start_bad, reason", FAILING_CASES, ids=FAILING_IDS)
def test_a_failing_target_gets_its_reason_and_the_others_complete(servers, start_bad, reason):
    check_failure_stays_alone(servers, start_bad, reason)


@pytest.mark.parametrize("args", [
    ["ftp://127.0.0.1/"],
    ["http://127.0.0.1:99999/"],
    ["--timeout", "0", "http://127.0.0.1/"],
    ["--timeout", "soon", "http://127.0.0.1/"],
    ["--no-such-option", "http://127.0.0.1/"],
    ["--backend", "epoll", "http://127.0.0.1/"],
    [],
], ids=["scheme", "port", "zero-timeout", "word-timeout", "unknown-option", "no-backend-yet",
        "no-url"])
def test_a_usage_error_exits_2_with_one_line_on_stderr(args):
    check_usage_error(args)
