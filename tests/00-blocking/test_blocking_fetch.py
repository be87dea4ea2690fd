"""Stage 0 behaviour: the blocking fetch, on real sockets (lessons/00-blocking.md).

What these tests show: a blocking client handles one target at a time, so
targets finish in the order they were asked for, the run takes the *sum*
of the servers' delays, and a silent server holds up everyone behind it
for the whole timeout. Failures of one target (refused, reset, garbage)
are reported with their reason while the others still complete.

Signals: the program must survive a stream of SIGUSR1 (each makes the
blocked call fail with EINTR) without failing a target, ending a connect
early, sending half a request, or waiting longer than its time limit.

Times are checked as orderings and generous bounds only: machines are noisy.
"""
import sys
import time

import pytest

from contract import (FAILING_CASES, FAILING_IDS, ODD_BUT_VALID_CASES, ODD_BUT_VALID_IDS,
                      check_failure_stays_alone, check_odd_but_valid, check_one_target,
                      check_usage_error)
from fetchrun import Running, interrupt_while_running, run_fetch, wait_until

LINUX = sys.platform.startswith("linux")
# A full accept queue makes connect() wait only where the kernel drops the
# SYN and SO_SNDTIMEO bounds connect(): Linux.
linux_only = pytest.mark.skipif(not LINUX, reason="needs Linux's full-backlog SYN drop")


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


@linux_only
def test_a_connect_that_never_completes_times_out_and_the_next_target_runs(servers):
    # The accept queue is full: the handshake never completes.
    stuck, quick = servers.full_backlog(), servers.delayed(0)
    run = run_fetch([stuck, quick], timeout=1)
    line = run.line(stuck)
    assert line.reason == "timeout", f"expected fail timeout for a connect that hangs, got {line}"
    assert run.line(quick).kind == "ok", f"expected ok for {quick}, got {run.line(quick)}"


@linux_only
def test_a_signal_does_not_end_a_connect_in_progress(servers):
    # The queue frees up after 0.5 s; the kernel retries the SYN after about
    # 1 s, so connect() waits about a second, through five signals or more.
    late = servers.full_backlog(accept_after_ms=500)
    with Running([late], timeout=3) as program:
        sent = interrupt_while_running(program, every_s=0.1, limit=60)
        run = program.finish()
    assert sent >= 3, f"expected to interrupt the connect several times, got {sent} signals in"
    line = run.line(late)
    assert (line.kind, line.status) == ("ok", 200), \
        f"expected ok 200 after {sent} SIGUSR1 during connect(): after EINTR the handshake " \
        f"goes on, so wait for the socket to be writable and read SO_ERROR; got {line}"


def test_signals_do_not_restart_the_time_limit(servers):
    timeout_s = 1.0
    silent = servers.silent()
    with Running([silent], timeout=timeout_s) as program:
        assert wait_until(lambda: servers.connections(silent) > 0 or not program.running()), \
            "expected the program to connect to the silent server within 5 s"
        # A signal every 0.2 s for up to 8 s: a limit that starts again after
        # each EINTR would never run out while they last.
        sent = interrupt_while_running(program, every_s=0.2, limit=40)
        run = program.finish()
    line = run.line(silent)
    assert line.reason == "timeout", f"expected fail timeout for the silent server, got {line}"
    assert sent >= 3, f"expected several signals during the wait, got {sent}"
    assert line.ms < 3 * timeout_s * 1000, \
        f"expected the silent server to time out near --timeout {timeout_s} s despite {sent} " \
        f"signals (< {3 * timeout_s * 1000:.0f} ms), got {line.ms} ms: a call retried after " \
        f"EINTR must wait only for what is left of its limit"


def test_a_long_request_is_sent_whole_while_signals_interrupt_it(servers):
    # A 100 kB path through a small, slowly read receive buffer: send() blocks,
    # and a signal makes it return after only part of the request.
    slow = servers.slow_reader(read_bytes=1024, interval_ms=10)
    url = slow + "x" * 100_000
    with Running([url], timeout=3) as program:
        assert wait_until(lambda: servers.connections(slow) > 0 or not program.running()), \
            "expected the program to connect to the slow reader within 5 s"
        # Until the server has the whole request: after that the program's
        # report line (100 kB) fills the stdout pipe, which finish() reads.
        sent = interrupt_while_running(program, every_s=0.1, limit=100,
                                       until=lambda: bool(servers.requests(slow)))
        run = program.finish()
    line = run.line(url)
    assert (line.kind, line.status) == ("ok", 200), \
        f"expected ok 200 after {sent} SIGUSR1 while sending: send() may write only part " \
        f"of the request, so send the rest until all is written; got " \
        f"{line.kind} {line.status or line.reason} (the URL is the slow reader's + 100 kB of x)"
    heads = servers.requests(slow)
    assert heads and f"GET /{'x' * 100_000} HTTP/1.0\r\n".encode() in heads[0], \
        "expected the server to read the whole request line"


def test_the_report_survives_signals_while_stdout_is_full(servers):
    # 3000 refused targets make a report larger than a pipe holds (64 KiB on
    # Linux); nobody reads it until the end, so the program blocks in write()
    # and the signals interrupt it there. No line may be lost.
    refused = servers.refused()
    urls = [refused] * 3000
    with Running(urls, timeout=5, trace=False) as program:
        time.sleep(0.5)
        sent = interrupt_while_running(program, every_s=0.05, limit=20)
        run = program.finish()
    assert sent >= 5, f"expected the program to wait on its full stdout, got it ended after " \
                      f"{sent} signals"
    assert all(line.reason == "refused" for line in run.lines), \
        "expected every target refused"


@pytest.mark.parametrize("start_bad, reason", FAILING_CASES, ids=FAILING_IDS)
def test_a_failing_target_gets_its_reason_and_the_others_complete(servers, start_bad, reason):
    check_failure_stays_alone(servers, start_bad, reason)


@pytest.mark.parametrize("start_odd, expected", ODD_BUT_VALID_CASES, ids=ODD_BUT_VALID_IDS)
def test_an_odd_but_valid_server_is_ok(servers, start_odd, expected):
    check_odd_but_valid(servers, start_odd, expected)


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
