"""Checks of the fetch contract that every stage's tests make the same way.

Each stage's test file keeps its own test functions (so a learner reads
what their stage is held to in one file) and calls these for the parts
that do not change from stage to stage: one good target, how each broken
server must be reported, how a usage error must look, and what every new
backend must do.
"""
from __future__ import annotations

from fetchrun import backend_args, run_fetch

# Every kind of broken server, and the REASON the contract gives it.
FAILING_SERVERS = [
    ("refused", lambda servers: servers.refused(), "refused"),
    ("reset", lambda servers: servers.reset_mid_body(), "reset"),
    ("malformed", lambda servers: servers.malformed_status(), "bad-response"),
    ("early-close", lambda servers: servers.early_close(), "bad-response"),
    ("too-large", lambda servers: servers.large_body(9 * 1024 * 1024), "too-large"),
    # A host name with an empty label: the resolver refuses it at once,
    # without asking DNS, so this case needs no network.
    ("unresolvable", lambda servers: "http://no-such-host..invalid/", "resolve"),
    # A Content-Length must be digits only, and two must agree (RFC 9112 6.3):
    # a reader that trusts the wrong one reads the wrong body.
    ("content-length-junk", lambda servers: servers.scripted(
        b"HTTP/1.0 200 OK\r\nContent-Length: 3junk\r\n\r\nabc"), "bad-response"),
    ("content-length-list", lambda servers: servers.scripted(
        b"HTTP/1.0 200 OK\r\nContent-Length: 5, 9\r\n\r\nhello"), "bad-response"),
    ("content-length-conflict", lambda servers: servers.scripted(
        b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\nContent-Length: 5\r\n\r\nhello"),
     "bad-response"),
    # A status code is three digits from 100 to 599 (RFC 9110 15).
    ("status-999", lambda servers: servers.scripted(
        b"HTTP/1.0 999 Nine\r\nContent-Length: 5\r\n\r\nhello"), "bad-response"),
    # Only interim 1xx answers, then the server closes: no final response.
    ("only-interim", lambda servers: servers.scripted(
        b"HTTP/1.1 100 Continue\r\n\r\n"), "bad-response"),
]
FAILING_IDS = [name for name, _, _ in FAILING_SERVERS]
FAILING_CASES = [(start, reason) for _, start, reason in FAILING_SERVERS]

# Servers that answer in a way that looks odd but is valid HTTP, and the
# (STATUS, BYTES) the report must show for each.
ODD_BUT_VALID_SERVERS = [
    # The request must carry the port in Host (RFC 9110 7.2) and never the
    # URL's #fragment (RFC 9110 4.2.4): the strict server answers 400 otherwise.
    ("host-with-port", lambda servers: servers.strict("/a?b=1"), (200, 100)),
    ("fragment-dropped", lambda servers: servers.strict("/a") + "#section-2", (200, 100)),
    # Optional whitespace around a field value may be a tab (RFC 9110 5.6.3).
    ("content-length-tab", lambda servers: servers.scripted(
        b"HTTP/1.0 200 OK\r\nContent-Length:\t5 \r\n\r\nhello"), (200, 5)),
    ("content-length-twice-equal", lambda servers: servers.scripted(
        b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello"),
     (200, 5)),
    # Interim 1xx answers come before the final one (RFC 9110 15.2): skip them.
    ("interim-100", lambda servers: servers.scripted(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), (200, 5)),
    ("status-599", lambda servers: servers.scripted(
        b"HTTP/1.0 599 Odd\r\nContent-Length: 5\r\n\r\nhello"), (599, 5)),
]
ODD_BUT_VALID_IDS = [name for name, _, _ in ODD_BUT_VALID_SERVERS]
ODD_BUT_VALID_CASES = [(start, expected) for _, start, expected in ODD_BUT_VALID_SERVERS]


def check_one_target(servers) -> None:
    """One good server: an ok line with status and body size, and the milestones in order."""
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


def check_failure_stays_alone(servers, start_bad, reason: str) -> None:
    """A broken target between two good ones: it fails with `reason`, they are ok."""
    before, after = servers.delayed(100), servers.delayed(100)
    bad = start_bad(servers)
    run = run_fetch([before, bad, after], timeout=5)
    assert run.line(bad).reason == reason, f"expected fail {reason}, got {run.line(bad)}"
    for url in (before, after):
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"


def check_odd_but_valid(servers, start_odd, expected: tuple[int, int]) -> None:
    """An odd but valid server between two good ones: all three are ok, and
    the odd one with the expected (STATUS, BYTES)."""
    before, after = servers.delayed(0), servers.delayed(0)
    odd = start_odd(servers)
    run = run_fetch([before, odd, after], timeout=5)
    line = run.line(odd)
    assert (line.kind, line.status, line.bytes) == ("ok", *expected), \
        f"expected ok {expected[0]} with {expected[1]} body bytes, got {line}"
    for url in (before, after):
        assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"


def check_usage_error(args: list[str]) -> None:
    """The program exits 2 with one line on stderr and nothing on stdout."""
    run = run_fetch([], args=args, trace=False, check_contract=False)
    assert run.returncode == 2, f"expected exit status 2 for {args}, got {run.returncode}"
    assert run.stdout == "", f"expected nothing on stdout, got {run.stdout!r}"
    assert len(run.stderr.strip().splitlines()) == 1, \
        f"expected one line on stderr, got {run.stderr!r}"


def check_backend_fetches_in_readiness_order(servers, backend: str) -> None:
    """On `backend`: the faster server finishes first, and the trace has the loop's waits."""
    urls = [servers.delayed(300), servers.delayed(100)]
    run = run_fetch(urls, args=backend_args(backend))
    assert run.finish_order() == urls[::-1], \
        f"expected the faster server first on {backend}, got {run.finish_order()}"
    assert run.waits(), f"expected the loop's waits in the trace on {backend}, got none"


def check_large_response_arrives_whole(servers, backend: str) -> None:
    """On `backend`: a 4 MiB body arrives whole (an edge-triggered loop must drain)."""
    size = 4 * 1024 * 1024
    url = servers.large_body(size)
    run = run_fetch([url], args=[*backend_args(backend), "--timeout", "5"])
    line = run.line(url)
    assert line.kind == "ok" and line.bytes is not None and line.bytes >= size, \
        f"expected the {size}-byte body to arrive on {backend}, got {line}"


# A loop that waits uses (almost) no CPU, and wakes only when something
# happens. Both bars are wide: a spinning loop uses all the CPU it gets
# and makes tens of thousands of waits a second (still thousands on a
# machine so busy that it gets little CPU); a sleeping one uses a few
# percent at most (start-up, and under AddressSanitizer its shadow memory
# and the leak check at exit) and makes a handful of waits here.
IDLE_CPU_SHARE = 0.2
IDLE_MAX_WAITS = 50


def check_an_idle_loop_sleeps(servers, args: list[str] = ()) -> None:
    """While only a silent server is pending, the program sleeps in its wait:
    its CPU time is a small share of its wall time, and its trace has a
    handful of waits. A loop without a real wait, or a wait that returns at
    once every time (an fd ready for something nobody reads, a source that
    always says "now"), spins."""
    timeout_s = 1.5
    silent, quick = servers.silent(), servers.delayed(0)
    run = run_fetch([silent, quick], timeout=timeout_s, args=args)
    assert run.line(silent).reason == "timeout", \
        f"expected fail timeout for the silent server, got {run.line(silent)}"
    assert run.line(quick).kind == "ok", f"expected ok for {quick}, got {run.line(quick)}"
    waits = len(run.waits())
    assert waits <= IDLE_MAX_WAITS, \
        f"expected a handful of waits (at most {IDLE_MAX_WAITS}) in a {timeout_s:g} s run with " \
        f"one quick and one silent server, got {waits}: the loop spins (does its wait return " \
        f"at once, for an fd or a timer that is not really ready?)"
    assert run.cpu_seconds < IDLE_CPU_SHARE * run.wall_seconds, \
        f"expected the loop to sleep while it waits {timeout_s:g} s for a silent server " \
        f"(CPU time under {IDLE_CPU_SHARE:.0%} of wall time), got {run.cpu_seconds:.2f} s CPU " \
        f"in {run.wall_seconds:.2f} s: the loop spins (does it wait? does its wait return " \
        f"at once, for an fd or a timer that is not really ready?)"


def check_never_connected(run, url: str) -> None:
    """`url`'s connect started and never completed: no `connected` milestone."""
    steps = run.milestones(url)
    assert "connect-start" in steps and "connected" not in steps, \
        f"expected a connect that started and never completed for {url}, got milestones {steps}"
