"""tools/demo_chat.py, the `--chat` scenario: stage 8's serve with real long-poll clients.

The scenario runs the real serve (skipped until it is built) and must show
the point of the stage in its rows: every parked client gets each message
exactly once, the server has a handful of threads however many clients
wait, and a message posted while every pool worker thinks reaches all the
clients before any slowbot has spoken. The CLI must report a missing stage
as a message.
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
import demo_chat  # noqa: E402

BUILD = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it


def args_for(build_dir: Path, stage: int | None = None) -> argparse.Namespace:
    return argparse.Namespace(build_dir=build_dir, track="solution", stage=stage, backend=None,
                              hold=0.0)


def test_parked_clients_cost_no_thread_and_the_chat_flows_while_the_pool_is_busy(tmp_path):
    real = (BUILD / "solutions" / "08-async" / "serve").resolve()
    if not os.access(real, os.X_OK):
        pytest.skip(f"{real} is not built")
    (tmp_path / "solutions" / "08-async").mkdir(parents=True)
    (tmp_path / "solutions" / "08-async" / "serve").symlink_to(real)
    program = demo_chat.choose_chat_program(args_for(tmp_path))
    run = demo_chat.run_chat(program, [])
    clients = demo_chat.CLIENTS
    assert run.url.startswith("http://127.0.0.1:") and run.url.endswith("/chat/")
    if sys.platform.startswith("linux"):
        # The loop and the pool: a thread per client would be 200 more.
        assert 1 < run.threads <= demo_chat.THREADS + 3, run.threads
        assert 0 < run.bytes_per_client < 64 * 1024, run.bytes_per_client
    assert len(run.slowbot_ms) == demo_chat.THREADS
    think_ms = demo_chat.THINK_S * 1000
    # The human's message came through while every worker still thought...
    assert run.human_ms + demo_chat.HUMAN_AFTER_S * 1000 < min(run.slowbot_ms), run
    # ...and the slowbots spoke only after thinking, through the loop.
    assert min(run.slowbot_ms) > think_ms * 0.9, run.slowbot_ms
    effect = demo_chat.chat_effect(run)
    assert f"{run.fanout_ms:.1f} ms" in effect and f"{clients} parked" in effect, \
        "the closing line comes from the measured rows"
    assert [row.what for row in run.rows][:2] == [f"{clients} clients parked on /chat/get/0",
                                                  "one POST /chat/post"]


def test_it_needs_stage_8_or_later(tmp_path):
    with pytest.raises(demo.DemoError, match="--chat needs stage 8 or later"):
        demo_chat.compare_chat(args_for(tmp_path), tmp_path / "traces")
    with pytest.raises(demo.DemoError, match="not --stage 7"):
        demo_chat.compare_chat(args_for(tmp_path, stage=7), tmp_path / "traces")
    # Stage 7's serve has no chat: it does not count.
    (tmp_path / "solutions" / "07-serve").mkdir(parents=True)
    (tmp_path / "solutions" / "07-serve" / "serve").symlink_to("/bin/true")
    with pytest.raises(demo.DemoError, match="--chat needs stage 8"):
        demo_chat.compare_chat(args_for(tmp_path), tmp_path / "traces")


def test_a_missing_stage_is_a_message_not_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "tools" / "demo.py"), "--chat",
                             "--build-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("demo: --chat needs stage 8"), result.stderr
    assert "Traceback" not in result.stderr
