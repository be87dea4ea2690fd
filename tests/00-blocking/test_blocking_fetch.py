"""Stage 0 behaviour: the blocking fetch, on real sockets (lessons/00-blocking.md).

What these tests show: a blocking client handles one target at a time, so
targets finish in the order they were asked for, the run takes the *sum*
of the servers' delays, and a silent server holds up everyone behind it
for the whole timeout. Failures of one target (refused, reset, garbage)
are reported with their reason while the others still complete.

Times are checked as orderings and generous bounds only: machines are noisy.
"""
import pytest

from fetchrun import run_fetch


def test_one_target_reports_status_and_body_bytes(servers):
    url = servers.delayed(0, body_bytes=1234)
    run = run_fetch([url])
    line = run.line(url)
    assert (line.kind, line.status, line.bytes) == ("ok", 200, 1234), \
        f"expected ok 200 with 1234 body bytes, got {line}"
    steps = run.milestones(url)
    order = ["connect-start", "connected", "request-sent", "first-byte", "done"]
    assert all(name in steps for name in order), f"expected milestones {order}, got {steps}"
    times = [steps[name] for name in order]
    assert times == sorted(times), f"expected milestones in the order {order}, got {steps}"


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


FAILURES = [
    ("refused", lambda s: s.refused(), "refused"),
    ("reset", lambda s: s.reset_mid_body(), "reset"),
    ("malformed", lambda s: s.malformed_status(), "bad-response"),
    ("early-close", lambda s: s.early_close(), "bad-response"),
    ("too-large", lambda s: s.large_body(9 * 1024 * 1024), "too-large"),
]


@pytest.mark.parametrize("start_bad, reason", [(f, r) for _, f, r in FAILURES],
                         ids=[name for name, _, _ in FAILURES])
def test_a_failing_target_gets_its_reason_and_the_others_complete(servers, start_bad, reason):
    before, after = servers.delayed(0), servers.delayed(0)
    bad = start_bad(servers)
    run = run_fetch([before, bad, after], timeout=5)
    assert run.line(bad).reason == reason, f"expected fail {reason}, got {run.line(bad)}"
    for url in (before, after):
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"


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
    run = run_fetch([], args=args, trace=False, check_contract=False)
    assert run.returncode == 2, f"expected exit status 2 for {args}, got {run.returncode}"
    assert run.stdout == "", f"expected nothing on stdout, got {run.stdout!r}"
    assert len(run.stderr.strip().splitlines()) == 1, \
        f"expected one line on stderr, got {run.stderr!r}"
