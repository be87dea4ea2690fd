"""Stage 6 behaviour: blocking work off the loop (lessons/06-pool.md).

What these tests show, on real sockets: `--process S` saves and checksums
every body received, a step that blocks for S seconds. Run inside the loop
(`--process-on loop`) it stalls every connection: the bodies are processed
one after another and a target that arrived early is reported late. Run on
the pool it does not: the total stays near the slowest server plus one
step. With a pool of one thread the steps queue up, but the loop still
reads meanwhile. Names resolve on the pool too (`--slow-resolve`, a stand-in
for a slow name server): the other targets flow while one waits.

The trace names the thread of each "process" and "resolve" span. Stage 1's
and stage 5's behaviour tests also run against this program
(tests/CMakeLists.txt). Times are orderings, ratios and wide margins only.
"""
from __future__ import annotations

import time

import pytest

from contract import check_usage_error
from fetchrun import Running, backends_under_test, run_fetch

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)

STEP_S = 0.5
STEP_MS = STEP_S * 1000


def work_spans(run, url: str, name: str) -> list[dict]:
    """The `name` spans ("process", "resolve") of one target, from the trace."""
    lane = run._lane(url)
    return [e for e in run.trace_events("work") if e["tid"] == lane and e["name"] == name]


def one_span(run, url: str, name: str) -> tuple[float, float, str]:
    spans = work_spans(run, url, name)
    assert len(spans) == 1, f"expected one {name} span for {url}, got {spans}"
    e = spans[0]
    return e["ts"] / 1000, (e["ts"] + e["dur"]) / 1000, e["args"]["thread"]


def three_servers(servers) -> list[str]:
    return [servers.delayed(100), servers.delayed(200), servers.delayed(300)]


@backends
def test_processing_in_the_loop_stalls_every_connection(servers, backend):
    urls = three_servers(servers)
    run = run_fetch(urls, timeout=20,
                    args=["--backend", backend, "--process", str(STEP_S), "--process-on", "loop"])
    assert all(run.line(u).kind == "ok" for u in urls), run.stdout
    assert run.total_ms >= 3 * STEP_MS * 0.95, \
        f"expected three {STEP_S} s steps one after another on the loop, got {run.total_ms} ms"
    for url in urls:
        assert one_span(run, url, "process")[2] == "loop"
    # Every server had answered by 300 ms, but the loop, busy with one
    # step, read the others' answers only after it, and the last one
    # reported waited for two steps more.
    last = run.lines[-1].url
    read_at = run.milestones(last)["received"]
    assert read_at >= 0.95 * (100 + STEP_MS), \
        f"expected the last answer read only after the first step, read at {read_at:.0f} ms"
    assert run.lines[-1].ms - 300 >= 2.2 * STEP_MS, \
        f"expected the last target, answered by 300 ms, reported > 2 steps late, got {run.lines[-1]}"


@backends
def test_the_pool_processes_while_the_loop_goes_on(servers, backend):
    urls = three_servers(servers)
    common = ["--backend", backend, "--process", str(STEP_S)]
    in_pool = run_fetch(urls, timeout=20, args=common + ["--process-on", "pool", "--threads", "3"])
    in_loop = run_fetch(urls, timeout=20, args=common + ["--process-on", "loop"])
    assert all(in_pool.line(u).kind == "ok" for u in urls), in_pool.stdout
    assert in_pool.total_ms < 0.3 * 1000 + STEP_MS + 700, \
        f"expected about max(delay) + one step with 3 workers, got {in_pool.total_ms} ms"
    assert in_loop.total_ms >= 1.4 * in_pool.total_ms, \
        f"expected the pool well ahead of the loop: loop {in_loop.total_ms} ms, " \
        f"pool {in_pool.total_ms} ms"
    spans = [one_span(in_pool, u, "process") for u in urls]
    assert all(thread.startswith("pool-") for _, _, thread in spans), spans
    first, second = spans[0], spans[1]
    assert second[0] < first[1], f"expected the steps to overlap on the pool, got {spans}"
    assert in_pool.finish_order() == urls, "with the steps side by side, readiness order stays"


@backends
def test_a_pool_of_one_queues_the_steps_but_the_loop_keeps_reading(servers, backend):
    quick_a, quick_b = servers.delayed(0), servers.delayed(0)
    trickle = servers.trickle(total_bytes=1500, chunk_bytes=100, interval_ms=100)
    urls = [quick_a, quick_b, trickle]
    common = ["--backend", backend, "--process", str(STEP_S)]

    def reads_during(run, begin: float, end: float) -> int:
        return sum(1 for w in run.waits()
                   if w["args"]["ready"] > 0 and begin < (w["ts"] + w["dur"]) / 1000 < end)

    pooled = run_fetch(urls, timeout=20, args=common + ["--threads", "1"])
    a, b = one_span(pooled, quick_a, "process"), one_span(pooled, quick_b, "process")
    assert a[2] == b[2] == "pool-1", f"expected both steps on the one worker, got {a}, {b}"
    assert a[1] <= b[0] or b[1] <= a[0], f"expected one step after the other, got {a}, {b}"
    assert reads_during(pooled, *sorted([a[:2], b[:2]])[0]) >= 2, \
        "expected the loop to keep reading the trickle during the first step on the pool"

    looped = run_fetch(urls, timeout=20, args=common + ["--process-on", "loop"])
    a = one_span(looped, quick_a, "process")
    assert reads_during(looped, a[0], a[1]) == 0, \
        "inside the loop the step stalls it: no read can happen during it"


@backends
def test_a_slow_name_lookup_runs_on_the_pool_while_other_targets_flow(servers, backend):
    urls = [servers.delayed(0), servers.delayed(0), servers.delayed(0)]
    run = run_fetch(urls, timeout=20,
                    args=["--backend", backend, "--slow-resolve", "0.3", "--threads", "1"])
    assert all(run.line(u).kind == "ok" for u in urls), run.stdout
    spans = [one_span(run, u, "resolve") for u in urls]
    assert all(thread == "pool-1" for _, _, thread in spans), spans
    assert run.line(urls[0]).ms < spans[2][1], \
        "expected the first target done while the third's name was still being looked up"


def test_a_target_still_being_processed_at_the_deadline_fails_as_timeout(servers):
    url = servers.delayed(0)
    started = time.monotonic()
    run = run_fetch([url], timeout=0.5, args=["--process", "1.5"])
    line = run.line(url)
    assert line.reason == "timeout", f"expected fail timeout, got {line}"
    assert 400 <= line.ms < 1400, f"expected the failure near 500 ms, got {line.ms} ms"
    assert time.monotonic() - started < 10, "the running step ends, then the program does"


@pytest.mark.parametrize("where", ["loop", "pool"])
def test_a_step_that_fails_fails_its_target_alone(servers, monkeypatch, tmp_path, where):
    # No directory for the temporary file: the step throws, on either thread.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    url = servers.delayed(0)
    run = run_fetch([url], timeout=5, args=["--process", "0.1", "--process-on", where])
    assert run.line(url).reason == "io", f"expected fail io, got {run.line(url)}"
    assert run.returncode == 1


def test_the_pool_has_the_threads_asked_for(servers):
    url = servers.delayed(800)
    with Running([url], timeout=5, args=["--threads", "3"]) as program:
        deadline = time.monotonic() + 5
        threads = None
        while time.monotonic() < deadline and program.running():
            status = program.status()
            if status:
                threads = int(status["Threads"])
                if threads >= 4:
                    break
            time.sleep(0.01)
        run = program.finish()
    # The loop and 3 workers, and perhaps ThreadSanitizer's background thread.
    assert threads in (4, 5), f"expected the loop thread and 3 workers, got {threads}"
    assert run.line(url).kind == "ok"


@pytest.mark.parametrize("args", [
    ["--threads", "0", "http://127.0.0.1:1/"],
    ["--threads", "x", "http://127.0.0.1:1/"],
    ["--threads", "65", "http://127.0.0.1:1/"],
    ["--process-on", "elsewhere", "http://127.0.0.1:1/"],
    ["--process", "-1", "http://127.0.0.1:1/"],
    ["--slow-resolve", "soon", "http://127.0.0.1:1/"],
])
def test_bad_pool_options_are_usage_errors(args):
    check_usage_error(args)
