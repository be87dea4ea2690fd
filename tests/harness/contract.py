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
]
FAILING_IDS = [name for name, _, _ in FAILING_SERVERS]
FAILING_CASES = [(start, reason) for _, start, reason in FAILING_SERVERS]


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
