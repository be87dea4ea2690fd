"""tools/demo_pool.py, the `--pool` scenario: the real stage 6 program on real servers.

The scenario is a function (compare_pool) that the CLI wires like the
other scenarios; these tests call it directly.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import demo  # noqa: E402  (needs the path set above)
import demo_pool  # noqa: E402


def args_for(build_dir: Path, stage: int | None = None) -> argparse.Namespace:
    return argparse.Namespace(build_dir=build_dir, track="solution", stage=stage, backend="poll")


def test_the_step_in_the_pool_finishes_well_ahead_of_the_step_in_the_loop(tmp_path):
    build = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it
    real = build / "solutions" / "06-pool" / "fetch"
    if not os.access(real, os.X_OK):
        pytest.skip(f"{real} is not built")
    (tmp_path / "solutions" / "06-pool").mkdir(parents=True)
    (tmp_path / "solutions" / "06-pool" / "fetch").symlink_to(real)
    result = demo_pool.compare_pool(args_for(tmp_path), tmp_path / "traces")
    looped, pooled = result.runs
    assert "--process-on loop" in looped.title and "--process-on pool" in pooled.title
    assert all(row.ok for row in looped.rows + pooled.rows)
    assert looped.total_ms >= 1.4 * pooled.total_ms, (looped.total_ms, pooled.total_ms)
    ratio = f"{looped.total_ms / pooled.total_ms:.1f}×"
    assert ratio in result.conclusion, "the closing line comes from the measured totals"


def test_it_needs_stage_6_or_later(tmp_path):
    (tmp_path / "solutions" / "05-timers").mkdir(parents=True)
    (tmp_path / "solutions" / "05-timers" / "fetch").write_text("#!/bin/sh\n")
    (tmp_path / "solutions" / "05-timers" / "fetch").chmod(0o755)
    with pytest.raises(demo.DemoError, match="--pool needs stage 6 or later"):
        demo_pool.compare_pool(args_for(tmp_path), tmp_path / "traces")
    with pytest.raises(demo.DemoError, match="not --stage 5"):
        demo_pool.compare_pool(args_for(tmp_path, stage=5), tmp_path / "traces")
