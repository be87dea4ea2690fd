"""Stage 5 behaviour: timers per connection (lessons/05-timers.md).

What these tests show: with a timer queue in the loop, every connection can
have deadlines of its own. A server that sends a little every 100 ms is
alive, so an idle timeout of 300 ms lets it finish, while a shorter global
--timeout still ends the whole run (`timeout`). A silent server fails with
`idle-timeout` on its own deadline while the others go on and finish. A
connect that never completes fails with `connect-timeout`. And with timers
armed for every connection, the loop still sleeps until one is due.

Stage 1's behaviour tests also run against this program, once per backend
(tests/CMakeLists.txt: stage05.<track>.behaviour.01-select.<backend>); the
tests here run on every backend too (the stage's BACKENDS there; select
and poll when run by hand). The appendix runs them against stage 5's fetch
written in other event libraries, once each (KIT_ELSEWHERE, the library's
name standing for the backend). Times are checked as orderings and wide
margins only: machines are noisy.
"""
from __future__ import annotations

import pytest

from contract import (check_an_idle_loop_sleeps, check_large_response_arrives_whole,
                      check_never_connected, check_usage_error)
from fetchrun import backend_args, backends_under_test, run_fetch

BACKENDS = backends_under_test(["select", "poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)


def trickle(servers) -> str:
    """A server that sends 10 chunks, one every 100 ms: about 1 s in all."""
    return servers.trickle(total_bytes=1000, chunk_bytes=100, interval_ms=100)


@backends
def test_a_trickle_survives_an_idle_timeout_longer_than_its_pauses(servers, backend):
    url = trickle(servers)
    run = run_fetch([url], timeout=10, args=[*backend_args(backend), "--idle-timeout", "0.3"])
    line = run.line(url)
    assert (line.kind, line.bytes) == ("ok", 1000), \
        f"expected the trickle (a chunk every 100 ms) to survive --idle-timeout 0.3, got {line}"


@backends
def test_a_shorter_global_timeout_still_fails_the_trickle(servers, backend):
    url = trickle(servers)
    run = run_fetch([url], timeout=0.5, args=[*backend_args(backend), "--idle-timeout", "0.3"])
    line = run.line(url)
    assert line.reason == "timeout", \
        f"expected the global --timeout 0.5 to end a 1 s trickle as `timeout`, got {line}"
    assert 400 <= line.ms < 3000, f"expected the failure near 500 ms, got {line.ms} ms"


@backends
def test_a_silent_server_fails_idle_timeout_on_its_own_deadline(servers, backend):
    silent, quick, slow = servers.silent(), servers.delayed(50), trickle(servers)
    run = run_fetch([silent, quick, slow], timeout=10,
                    args=[*backend_args(backend), "--idle-timeout", "0.3"])
    failed = run.line(silent)
    assert failed.reason == "idle-timeout", f"expected fail idle-timeout, got {failed}"
    assert 250 <= failed.ms < 3000, \
        f"expected the silent server to fail near its 300 ms idle deadline, got {failed.ms} ms"
    for url in (quick, slow):
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"
    assert run.finish_order().index(silent) < run.finish_order().index(slow), \
        "expected the silent server to fail while the trickle was still going " \
        f"(its own deadline, not the end of the run), got {run.finish_order()}"
    assert run.total_ms < 5000, \
        f"expected the run to end with the trickle, long before --timeout 10, got {run.total_ms} ms"


@backends
def test_the_idle_deadline_runs_from_the_last_activity_not_from_the_timer(servers, backend):
    """A server that answers a header at once, 100 bytes 0.3 s later, then
    nothing: the idle timer (1.5 s) first fires at about 1.5 s, finds that
    activity, and must re-arm for the last activity + 1.5 s, about 1.8 s
    in. A re-arm for "now + 1.5 s" lets it live until about 3 s. A trickle
    that ends at about 2.4 s (a chunk every 100 ms: never idle) sits
    between the two: an ordering, not a stopwatch."""
    falls_silent = servers.falls_silent(after_ms=300)
    trickle_2_4_s = servers.trickle(total_bytes=2400, chunk_bytes=100, interval_ms=100)
    run = run_fetch([falls_silent, trickle_2_4_s], timeout=10,
                    args=[*backend_args(backend), "--idle-timeout", "1.5"])
    assert run.line(falls_silent).reason == "idle-timeout", \
        f"expected fail idle-timeout, got {run.line(falls_silent)}"
    assert run.line(trickle_2_4_s).kind == "ok", \
        f"expected ok for the 2.4 s trickle, got {run.line(trickle_2_4_s)}"
    assert run.finish_order() == [falls_silent, trickle_2_4_s], \
        ("expected the connection that fell silent to fail 1.5 s after its last activity, "
         f"before the 2.4 s trickle ends; the order was {run.finish_order()} "
         f"({run.line(falls_silent).ms} ms and {run.line(trickle_2_4_s).ms} ms)")


@backends
def test_without_an_idle_timeout_the_global_timeout_catches_a_silent_server(servers, backend):
    silent, quick = servers.silent(), servers.delayed(50)
    run = run_fetch([silent, quick], timeout=0.5, args=backend_args(backend))
    assert run.line(silent).reason == "timeout", f"expected fail timeout, got {run.line(silent)}"
    assert run.line(quick).kind == "ok"


@backends
def test_a_connect_that_hangs_fails_connect_timeout_alone(servers, hung_connect, backend):
    quick = servers.delayed(50)
    run = run_fetch([hung_connect, quick], timeout=10,
                    args=[*backend_args(backend), "--connect-timeout", "0.3"])
    failed = run.line(hung_connect)
    assert failed.reason == "connect-timeout", f"expected fail connect-timeout, got {failed}"
    assert 250 <= failed.ms < 3000, f"expected the failure near 300 ms, got {failed.ms} ms"
    assert run.line(quick).kind == "ok", f"expected ok for {quick}, got {run.line(quick)}"
    check_never_connected(run, hung_connect)


def test_a_connect_timeout_does_not_limit_the_response(servers):
    url = servers.delayed(600)
    run = run_fetch([url], timeout=10, args=["--connect-timeout", "0.3"])
    assert run.line(url).kind == "ok", \
        f"expected --connect-timeout to bound the connect only, got {run.line(url)}"


@backends
def test_an_idle_loop_with_connection_timers_sleeps(servers, backend):
    # Timers armed for every connection, none due before the global deadline:
    # the loop must sleep until one is, not poll the queue (stage 1's tests
    # check the same without per-connection timers).
    check_an_idle_loop_sleeps(servers, args=[*backend_args(backend), "--connect-timeout", "5",
                                             "--idle-timeout", "5"])


@backends
def test_a_large_response_arrives_whole(servers, backend):
    """Each backend is read the way it needs (epoll-et until EAGAIN), as in stage 3."""
    check_large_response_arrives_whole(servers, backend)


def test_help_lists_the_timeouts():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--connect-timeout SECONDS" in run.stdout and "--idle-timeout SECONDS" in run.stdout, \
        f"expected --help to list --connect-timeout and --idle-timeout, got {run.stdout!r}"


@pytest.mark.parametrize("args", [
    ["--idle-timeout", "0", "http://127.0.0.1/"],
    ["--idle-timeout", "-1", "http://127.0.0.1/"],
    ["--connect-timeout", "soon", "http://127.0.0.1/"],
    ["--connect-timeout=", "http://127.0.0.1/"],
    ["http://127.0.0.1/", "--idle-timeout"],
], ids=["zero", "negative", "not-a-number", "empty", "missing"])
def test_a_bad_timeout_is_a_usage_error(args):
    check_usage_error(args)
