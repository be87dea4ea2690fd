"""tools/demo_serve.py, the `--serve` scenario: stage 7's serve with real clients.

The scenario runs the real serve (skipped until it is built) and must show
the point of the stage in its rows: /stats answered at once while /slow
sleeps on the pool, and only after a whole sleep when /slow sleeps in the
loop. The drawing and the lining up of the two clocks are checked on a
made-up run, and the CLI must report a demo's errors as messages.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import demo  # noqa: E402  (needs the path set above)
import demo_serve  # noqa: E402
import gantt  # noqa: E402

BUILD = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it


def args_for(build_dir: Path, stage: int | None = None) -> argparse.Namespace:
    return argparse.Namespace(build_dir=build_dir, track="solution", stage=stage, backend=None)


def test_stats_is_answered_at_once_beside_the_pool_and_late_behind_the_loop(tmp_path):
    real = BUILD / "solutions" / "07-serve" / "serve"
    if not os.access(real, os.X_OK):
        pytest.skip(f"{real} is not built")
    (tmp_path / "solutions" / "07-serve").mkdir(parents=True)
    (tmp_path / "solutions" / "07-serve" / "serve").symlink_to(real)
    program = demo_serve.choose_serve_program(args_for(tmp_path))
    pooled, looped = demo_serve.run_both(program, [], tmp_path / "traces")
    for run in (pooled, looped):
        assert all(r.status == 200 for r in run.requests), run.requests
    stats = {run.title: next(r for r in run.requests if r.path == "/stats")
             for run in (pooled, looped)}
    slow_ms = demo_serve.SLOW_MS
    assert stats[pooled.title].waited_ms < slow_ms / 3, "the loop stays free beside the pool"
    assert stats[looped.title].waited_ms > slow_ms / 2, "a sleep in the loop stalls /stats"
    assert any(lane.name.startswith("pool-") for lane in pooled.lanes)
    loop_lane = next(lane for lane in looped.lanes if lane.name == "loop")
    assert any(target.startswith("/slow") for _, _, target in loop_lane.spans)
    assert f"{stats[looped.title].waited_ms:.0f} ms" in demo_serve.serve_effect(pooled, looped), \
        "the closing line comes from the measured rows"


def test_it_needs_stage_7_or_later(tmp_path):
    with pytest.raises(demo.DemoError, match="--serve needs stage 7 or later"):
        demo_serve.compare_serve(args_for(tmp_path), tmp_path / "traces")
    with pytest.raises(demo.DemoError, match="not --stage 6"):
        demo_serve.compare_serve(args_for(tmp_path, stage=6), tmp_path / "traces")


@pytest.mark.parametrize("option, says", [("--pool", "--pool needs stage 6"),
                                          ("--serve", "--serve needs stage 7")])
def test_a_scenario_module_error_is_a_message_not_a_traceback(tmp_path, option, says):
    result = subprocess.run([sys.executable, str(REPO / "tools" / "demo.py"), option,
                             "--build-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"demo: {says}"), result.stderr
    assert "Traceback" not in result.stderr


def made_up_run() -> demo_serve.ServeRun:
    # The server's clock starts 40 ms before the first request is sent.
    trace = {"traceEvents": [
        {"ph": "M", "name": "thread_name", "tid": 0, "args": {"name": "loop"}},
        {"ph": "M", "name": "thread_name", "tid": 1, "args": {"name": "pool-1"}},
        {"ph": "M", "name": "thread_name", "tid": 2, "args": {"name": "pool-2"}},
        {"ph": "i", "name": "accepted", "tid": 0, "ts": 50_000, "args": {"conn": 1}},
        {"ph": "X", "name": "app", "cat": "work", "tid": 1, "ts": 51_000, "dur": 1_000_000,
         "args": {"target": "/slow?ms=1000"}},
        {"ph": "X", "name": "app", "cat": "work", "tid": 0, "ts": 350_000, "dur": 100,
         "args": {"target": "/stats"}},
    ]}
    requests = [demo_serve.Request("/slow?ms=1000", 10.0, 1012.0, 200),
                demo_serve.Request("/stats", 310.0, 311.0, 200)]
    lanes = demo_serve.lanes_from_trace(trace, requests)
    return demo_serve.ServeRun("made up", lanes, requests)


def test_the_server_lanes_are_lined_up_on_the_first_accept():
    run = made_up_run()
    assert [lane.name for lane in run.lanes] == ["loop", "pool-1"], "idle workers are left out"
    (start, end, target), = run.lanes[1].spans
    assert (start, end, target) == (11.0, 1011.0, "/slow?ms=1000")
    assert run.lanes[0].spans[0][0] == pytest.approx(310.0)


def test_the_chart_puts_each_bar_where_its_time_is():
    lines = demo_serve.render([made_up_run()], 80, gantt.ASCII, color=False)
    assert all(len(line) <= 80 for line in lines), lines
    pool = next(line for line in lines if line.lstrip().startswith("pool-1 |"))
    stats = next(line for line in lines if line.lstrip().startswith("/stats |"))
    bar = pool.split("|")[1]
    assert bar.strip("#").strip() == "" and bar.count("#") > 10 * stats.split("|")[1].count("#")
    assert stats.split("|")[1].index("#") > bar.index("#"), "/stats comes after /slow began"
    assert stats.rstrip().endswith("200 in 1 ms")
