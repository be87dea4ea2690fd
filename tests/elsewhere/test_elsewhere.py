"""The appendix's own behaviour tests (lessons/appendix-elsewhere.md).

Stage 1's and stage 5's tests already run against each appendix program
(tests/elsewhere/elsewhere.cmake); these add what the appendix itself
claims: the program is its library's event machine, so a hundred targets
are in flight at once, each with the whole story in its trace, and the
run takes about one server delay, not a hundred. And the contract code
written again for the appendix (contract.c, FetchContract.pm) keeps the
trace valid JSON whatever printable characters a URL holds. Times are
wide margins.
"""
from __future__ import annotations

from fetchrun import elsewhere, run_fetch

MILESTONES = ["connect-start", "connected", "request-sent", "first-byte", "done"]


def test_the_program_under_test_is_an_appendix_program():
    assert elsewhere(), "expected KIT_ELSEWHERE to name the library (run through ctest)"


def test_a_hundred_targets_are_fetched_at_once(servers):
    delay_ms, count = 500, 100
    url = servers.delayed(delay_ms, body_bytes=2000)
    urls = [f"{url}?{i}" for i in range(count)]
    run = run_fetch(urls, timeout=20)
    failed = [line for line in run.lines if line.kind != "ok"]
    assert not failed, f"expected every target ok, got {len(failed)} failed: {failed[:3]}"
    assert all(line.bytes == 2000 for line in run.lines), \
        f"expected 2000 body bytes each, got {sorted({line.bytes for line in run.lines})}"
    assert run.total_ms < 10 * delay_ms, \
        f"expected {count} targets of {delay_ms} ms to take about one delay, not {count} " \
        f"(< {10 * delay_ms} ms), got {run.total_ms} ms"
    spans = [run.span(u) for u in urls]
    in_flight_at_latest_start = sum(start <= max(s for s, _ in spans) <= end
                                    for start, end in spans)
    assert in_flight_at_latest_start >= count // 2, \
        f"expected most of the {count} targets in flight at once, got " \
        f"{in_flight_at_latest_start} at the latest start"
    for u in urls[:5]:
        steps = run.milestones(u)
        times = [steps.get(name) for name in MILESTONES]
        assert None not in times and times == sorted(times), \
            f"expected milestones {MILESTONES} in order for {u}, got {steps}"


def test_a_quote_in_a_url_leaves_the_trace_valid_json(servers):
    # A path may hold '"' and '\' (printable, no space): the trace must escape them.
    url = servers.delayed(0) + 'say"hi"\\there'
    run = run_fetch([url])
    assert run.line(url).kind == "ok", f"expected ok for {url}, got {run.line(url)}"
    assert run.span(url)[0] <= run.span(url)[1], f"expected a span for {url} in the trace"
