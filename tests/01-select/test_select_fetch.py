"""Stage 1 behaviour: the raw select() event machine, on real sockets (lessons/01-select.md).

What these tests show: one process, one thread and one select() loop fetch
every target at the same time. Targets finish in the order their servers
answer, not the order they were asked for; the run takes about as long as
the slowest server, not the sum; a silent server fails alone at the global
deadline; a slow trickle and broken servers do not hold anyone up. They also
check the traps of select() itself: an fd at or above FD_SETSIZE is refused
cleanly, EINTR is retried, SIGPIPE cannot kill the process. And the one
price of cooperative multitasking: a handler that hangs (--stall) freezes
every other target meanwhile. And the loop really waits: it sleeps while
nothing is ready (its CPU time is a small share of its wall time), and runs
a handler only for a socket the wait reported ready (a connect in progress
is not a connect done, nor is a refused one).

Stage 2 runs these same tests against its program, once per backend
(KIT_BACKEND): on poll, which has no FD_SETSIZE, the sockets above it work.
The appendix runs them against stage 5's fetch in other event libraries
(KIT_ELSEWHERE, src/elsewhere/).

Times are checked as orderings and wide ratios only: machines are noisy.
Several tests look at the running process through /proc and skip on other
systems.
"""
from __future__ import annotations

import os
import resource
import signal
import sys
import time

import pytest

from contract import (FAILING_CASES, FAILING_IDS, FAILING_SERVERS, ODD_BUT_VALID_CASES,
                      ODD_BUT_VALID_IDS, check_an_idle_loop_sleeps, check_failure_stays_alone,
                      check_never_connected, check_odd_but_valid, check_one_target,
                      check_usage_error)
from fetchrun import Running, elsewhere, fetch_backend, run_fetch, wait_until

LINUX = sys.platform.startswith("linux")
FD_SETSIZE = 1024
# Stage 1's loop is select(); from stage 2 on, --backend chooses. The
# appendix's libraries wait with epoll here, or with select() over Perl's
# bit strings, which have no FD_SETSIZE either.
LIMITED_BY_FD_SETSIZE = fetch_backend() in (None, "select") and elsewhere() is None
SIGNAL_BIT = {name: 1 << (int(getattr(signal, name)) - 1) for name in ("SIGPIPE", "SIGUSR1")}


linux_only = pytest.mark.skipif(not LINUX, reason="reads /proc/PID/status (Linux only)")


# --- Many targets at once ------------------------------------------------------


def test_one_target_reports_status_and_body_bytes(servers):
    check_one_target(servers)


def test_targets_finish_in_order_of_readiness_and_take_the_longest_delay(servers):
    delays_ms = [900, 600, 300]
    urls = [servers.delayed(d) for d in delays_ms]
    run = run_fetch(urls)
    assert run.finish_order() == urls[::-1], \
        f"expected the fastest server first (reverse request order {urls[::-1]}), " \
        f"got {run.finish_order()}"
    assert run.total_ms >= max(delays_ms), \
        f"expected a total of at least the longest delay ({max(delays_ms)} ms), got {run.total_ms}"
    assert run.total_ms < 0.7 * sum(delays_ms), \
        f"expected a total well below the sum of delays (< {0.7 * sum(delays_ms):.0f} ms), " \
        f"got {run.total_ms}"


def test_a_silent_server_fails_alone_at_the_deadline(servers):
    timeout_s = 2.0
    silent = servers.silent()
    quick = [servers.delayed(0), servers.delayed(100)]
    run = run_fetch([silent] + quick, timeout=timeout_s)
    for url in quick:
        line = run.line(url)
        assert line.kind == "ok", f"expected ok for {url}, got {line}"
        assert line.ms < 0.5 * timeout_s * 1000, \
            f"expected {url} not to wait for the silent server (< {0.5 * timeout_s * 1000:.0f} ms), " \
            f"got {line.ms} ms"
    line = run.line(silent)
    assert line.reason == "timeout", f"expected fail timeout for the silent server, got {line}"
    assert line.ms >= 0.9 * timeout_s * 1000, \
        f"expected the silent server to fail at the deadline (>= ~{timeout_s * 1000:.0f} ms), " \
        f"got {line.ms} ms"
    assert run.finish_order()[-1] == silent, \
        f"expected the silent server to finish last, got {run.finish_order()}"


def test_a_trickle_completes_with_every_byte_while_another_target_completes(servers):
    # 10 chunks of 200 bytes, 50 ms apart: about half a second of drip.
    trickle = servers.trickle(total_bytes=2000, chunk_bytes=200, interval_ms=50)
    quick = servers.delayed(100)
    run = run_fetch([trickle, quick], timeout=5)
    slow, fast = run.line(trickle), run.line(quick)
    assert (slow.kind, slow.bytes) == ("ok", 2000), \
        f"expected every trickled byte (ok, 2000), got {slow}"
    assert fast.kind == "ok", f"expected ok for the other target, got {fast}"
    assert fast.ms < slow.ms, \
        f"expected the other target to finish while the trickle still drips, " \
        f"got it at {fast.ms} ms and the trickle at {slow.ms} ms"
    start, end = run.span(trickle)
    assert start <= run.span(quick)[1] <= end, \
        f"expected the other target's span to end inside the trickle's {start, end}, " \
        f"got {run.span(quick)}"


@pytest.mark.parametrize("start_bad, reason", FAILING_CASES, ids=FAILING_IDS)
def test_a_failing_target_gets_its_reason_and_the_others_complete(servers, start_bad, reason):
    check_failure_stays_alone(servers, start_bad, reason)


@pytest.mark.parametrize("start_odd, expected", ODD_BUT_VALID_CASES, ids=ODD_BUT_VALID_IDS)
def test_an_odd_but_valid_server_is_ok(servers, start_odd, expected):
    check_odd_but_valid(servers, start_odd, expected)


def test_every_kind_of_failure_at_once_leaves_the_good_targets_alone(servers):
    good = [servers.delayed(200), servers.delayed(0)]
    bad = {start(servers): reason for _, start, reason in FAILING_SERVERS}
    urls = [good[0]] + list(bad) + [good[1]]
    run = run_fetch(urls, timeout=5)
    for url, reason in bad.items():
        assert run.line(url).reason == reason, f"expected fail {reason}, got {run.line(url)}"
    for url in good:
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"


def test_the_trace_shows_several_targets_in_flight_during_one_wait(servers):
    urls = [servers.delayed(300), servers.delayed(300), servers.delayed(300)]
    run = run_fetch(urls)
    spans = {url: run.span(url) for url in urls}
    latest_start = max(start for start, _ in spans.values())
    earliest_end = min(end for _, end in spans.values())
    assert latest_start < earliest_end, \
        f"expected every target's span to overlap the others, got spans {spans}"
    waits = run.waits()
    assert waits, "expected `wait` events (cat \"loop\", tid 0) in the trace, got none"
    busiest = max(
        sum(start <= w["ts"] / 1000 and (w["ts"] + w["dur"]) / 1000 <= end
            for start, end in spans.values())
        for w in waits)
    assert busiest >= 2, \
        f"expected at least one wait with 2 or more targets in flight around it, " \
        f"got at most {busiest} (spans {spans}, {len(waits)} waits)"


# --- The loop waits, and acts on what is ready ------------------------------------


def test_an_idle_loop_sleeps_in_its_wait(servers):
    check_an_idle_loop_sleeps(servers)


def test_a_connect_still_in_progress_is_not_taken_for_connected(servers, hung_connect):
    # The loop wakes for the other targets while this connect is still in
    # progress: a handler run for a socket the wait did not report ready
    # finds SO_ERROR 0 and takes the handshake for done.
    others = [servers.delayed(0), servers.delayed(100), servers.delayed(200)]
    run = run_fetch([hung_connect] + others, timeout=1.0)
    assert run.line(hung_connect).reason == "timeout", \
        f"expected fail timeout for a connect that never completes, got {run.line(hung_connect)}"
    check_never_connected(run, hung_connect)
    for url in others:
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"


def test_a_refused_connect_is_never_connected(servers):
    # Writable means the connect is over, not that it went well: SO_ERROR
    # says how. (Skip it, and the send() that follows fails with the same
    # ECONNREFUSED: the reason is right, but the trace says "connected".)
    refused, good = servers.refused(), servers.delayed(100)
    run = run_fetch([refused, good], timeout=5)
    assert run.line(refused).reason == "refused", \
        f"expected fail refused, got {run.line(refused)}"
    check_never_connected(run, refused)


# --- One thread, one loop -------------------------------------------------------


@linux_only
def test_the_program_is_single_threaded_while_it_runs(servers):
    silent = servers.silent()
    with Running([silent], timeout=1.5) as program:
        assert wait_until(lambda: servers.connections(silent) > 0 or not program.running()), \
            "expected the program to connect to the silent server within 5 s"
        counts = []
        for _ in range(5):  # a few looks, over a quarter of a second
            fields = program.status()
            if fields is None:
                break
            counts.append(int(fields["Threads"]))
            time.sleep(0.05)
        assert counts, "expected the program to be still running while it waits for the " \
                       "silent server, got it ended"
        # One thread runs the loop; from stage 6 on, a pool of workers
        # (KIT_POOL_THREADS, set by tests/CMakeLists.txt) waits beside it,
        # and a program that starts threads may get one more from a
        # sanitizer's runtime (ThreadSanitizer's background thread).
        workers = int(os.environ.get("KIT_POOL_THREADS", "0"))
        expected = {1} if workers == 0 else {1 + workers, 2 + workers}
        assert len(set(counts)) == 1 and counts[0] in expected, \
            f"expected {' or '.join(map(str, sorted(expected)))} thread(s) in " \
            f"/proc/PID/status, got {counts}"
        run = program.finish()
    # As below: whether a program that ends at once is seen in time is a race;
    # one that does not wait for the silent server fails here every time.
    assert run.line(silent).reason == "timeout" and run.line(silent).ms >= 750, \
        f"expected fail timeout for the silent server at its --timeout 1.5, " \
        f"got {run.line(silent)}"


@linux_only
def test_sigpipe_is_ignored_while_it_runs(servers):
    silent = servers.silent()
    with Running([silent], timeout=1.0) as program:
        ignored = program.wait_for_signal_mask("SigIgn", SIGNAL_BIT["SIGPIPE"])
        fields = program.status()
        mask = fields["SigIgn"].strip() if fields else "(ended)"
        assert ignored, f"expected SIGPIPE (bit 13) set in /proc/PID/status SigIgn, got {mask}"
        run = program.finish()
    # Whether a program that ends at once is seen in time is a race; one that
    # does not wait for the silent server fails here every time.
    assert run.line(silent).reason == "timeout" and run.line(silent).ms >= 500, \
        f"expected the program to wait for the silent server until its --timeout 1.0, " \
        f"got {run.line(silent)}"


@linux_only
def test_select_interrupted_by_signals_is_retried(servers):
    urls = [servers.delayed(1500), servers.delayed(1500)]
    with Running(urls, timeout=10) as program:
        # Until main() has installed its SIGUSR1 handler, the signal would kill it.
        assert program.wait_for_signal_mask("SigCgt", SIGNAL_BIT["SIGUSR1"]), \
            "expected the program to catch SIGUSR1 (bit 10 in SigCgt), got it not caught"
        sent = 0
        while sent < 50 and program.running():
            program.proc.send_signal(signal.SIGUSR1)
            sent += 1
            time.sleep(0.02)
        run = program.finish()
    assert sent >= 10, f"expected to interrupt the program many times, got only {sent} signals in"
    for url in urls:
        line = run.line(url)
        assert line.kind == "ok", \
            f"expected ok for {url} after {sent} SIGUSR1 (EINTR must be retried), got {line}"


# --- The FD_SETSIZE ceiling -----------------------------------------------------

# Run through a fresh Python that fills the fds 3 .. LOW_FDS_FILLED-1 (except
# those named after the count) with /dev/null, then execs the program: the
# program's own files and sockets get the lowest free fds, so they land in
# the gaps or above FD_SETSIZE. A fresh process, not preexec_fn: the test
# process has fixture threads, and fork-then-Python is unsafe with threads.
LOW_FDS_FILLED = FD_SETSIZE + 76
FILL_FDS = """
import os, resource, sys
count, gaps, program = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = count + 256
if soft != resource.RLIM_INFINITY and soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
null = os.open(os.devnull, os.O_RDWR)
os.set_inheritable(null, True)
for fd in range(3, count):
    if fd != null:
        os.dup2(null, fd)
for fd in (int(g) for g in gaps.split(",") if g):
    os.close(fd)
os.execv(program[0], program)
"""


def fd_filler(gaps: list[int]) -> list[str]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < LOW_FDS_FILLED + 256:
        pytest.skip(f"the hard limit on open files ({hard}) is too low to fill "
                    f"{LOW_FDS_FILLED} fds")
    return [sys.executable, "-c", FILL_FDS, str(LOW_FDS_FILLED), ",".join(map(str, gaps))]


def test_sockets_above_fd_setsize_fail_as_fd_limit(servers):
    urls = [servers.delayed(0), servers.delayed(0)]
    with Running(urls, timeout=5, prefix=fd_filler(gaps=[])) as program:
        run = program.finish()
    if not LIMITED_BY_FD_SETSIZE:
        for url in urls:
            assert run.line(url).kind == "ok", \
                f"expected ok for a socket above FD_SETSIZE on {fetch_backend()}, " \
                f"got {run.line(url)}"
        return
    for url in urls:
        line = run.line(url)
        assert line.reason == "fd-limit", \
            f"expected fail fd-limit for a socket above FD_SETSIZE ({FD_SETSIZE}), got {line}"
    assert "FD_SETSIZE" in run.stderr, \
        f"expected a line on stderr that mentions FD_SETSIZE, got {run.stderr!r}"


def test_a_socket_above_fd_setsize_fails_alone(servers):
    # Four free fds below FD_SETSIZE: the trace file and the first sockets take
    # them; the later sockets land above FD_SETSIZE.
    urls = [servers.delayed(100) for _ in range(6)]
    with Running(urls, timeout=5, prefix=fd_filler(gaps=[3, 4, 5, 6])) as program:
        run = program.finish()
    kinds = {url: run.line(url).reason or run.line(url).kind for url in urls}
    if not LIMITED_BY_FD_SETSIZE:
        assert set(kinds.values()) == {"ok"}, \
            f"expected every target ok on {fetch_backend()}, above FD_SETSIZE too, got {kinds}"
        return
    assert set(kinds.values()) == {"ok", "fd-limit"}, \
        f"expected some targets ok (low fds) and the rest fail fd-limit (fds above " \
        f"FD_SETSIZE), got {kinds}"
    assert "FD_SETSIZE" in run.stderr, \
        f"expected a line on stderr that mentions FD_SETSIZE, got {run.stderr!r}"


# --- A hanging handler stalls everything -----------------------------------------


def test_a_stalled_handler_freezes_every_other_target(servers):
    stall_s = 1.0
    stalled = servers.delayed(0)
    others = [servers.delayed(100), servers.delayed(100)]
    urls = [stalled] + others
    plain = run_fetch(urls, timeout=10)
    frozen = run_fetch(urls, timeout=10, args=["--stall", str(stall_s)])
    for run in (plain, frozen):
        for url in urls:
            assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"
    plain_ms = max(plain.line(url).ms for url in others)
    frozen_ms = min(frozen.line(url).ms for url in others)
    assert frozen_ms >= 0.9 * stall_s * 1000, \
        f"expected the other targets to wait out the {stall_s:g} s stall of the first one's " \
        f"handler (>= ~{stall_s * 1000:.0f} ms), although their servers answered at ~100 ms; " \
        f"got one at {frozen_ms} ms"
    assert plain_ms < 0.5 * frozen_ms, \
        f"expected them to finish well before that without --stall (< {0.5 * frozen_ms:.0f} ms), " \
        f"got {plain_ms} ms"


# --- Usage errors ---------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["ftp://127.0.0.1/"],
    ["http://127.0.0.1:99999/"],
    pytest.param(["--backend", "select", "http://127.0.0.1/"],
                 marks=pytest.mark.skipif(fetch_backend() is not None,
                                          reason="this program has backends")),
    ["--stall", "soon", "http://127.0.0.1/"],
    ["--stall", "0", "http://127.0.0.1/"],
    ["--stall", "-1", "http://127.0.0.1/"],
    ["http://127.0.0.1/", "--stall"],
], ids=["scheme", "port", "no-backend-yet", "word-stall", "zero-stall", "negative-stall",
        "stall-without-value"])
def test_a_usage_error_exits_2_with_one_line_on_stderr(args):
    check_usage_error(args)
