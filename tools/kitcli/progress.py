"""The learner's progress: build/kit-progress.json.

    {"stages": {"00-blocking": {"last_check": "passed" | "failing",
                                "detail": "...", "checked_at": "...",
                                "fingerprint": "<hash of the files checked>",
                                "ever_passed": true, "hints_shown": 2}}}

Deleting the file starts the bookkeeping afresh; nothing else depends on it.
"""

from __future__ import annotations

import datetime
import json
import os
import sys

from kitcli.stages import Stage, all_stages, exercise_fingerprint, find_stage
from kitcli.ui import ROOT, paint, relative

PROGRESS_FILE = ROOT / "build" / "kit-progress.json"


def load_progress() -> dict:
    try:
        data = json.loads(PROGRESS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"stages": {}}
    except (OSError, ValueError):
        print(paint(f"(ignoring unreadable {relative(PROGRESS_FILE)})", "dim"), file=sys.stderr)
        return {"stages": {}}
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        return {"stages": {}}
    return data


def save_progress(progress: dict) -> None:
    PROGRESS_FILE.parent.mkdir(parents=True, exist_ok=True)
    temporary = PROGRESS_FILE.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(progress, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, PROGRESS_FILE)  # all or nothing, even if interrupted


def stage_record(progress: dict, stage: Stage) -> dict:
    return progress["stages"].setdefault(stage.slug, {})


def record_check(stage: Stage, passed: bool, detail: str, fingerprint: str) -> None:
    """Remember a check's verdict and the fingerprint of the files it checked."""
    progress = load_progress()
    record = stage_record(progress, stage)
    record["last_check"] = "passed" if passed else "failing"
    record["detail"] = detail
    record["checked_at"] = datetime.datetime.now().isoformat(timespec="seconds")
    record["fingerprint"] = fingerprint
    if passed:
        record["ever_passed"] = True
    save_progress(progress)


def forget_check(stage: Stage) -> None:
    """After a reset the last check says nothing about the files any more."""
    progress = load_progress()
    record = stage_record(progress, stage)
    for key in ("last_check", "detail", "checked_at", "fingerprint"):
        record.pop(key, None)
    save_progress(progress)


def changed_since_check(record: dict, stage: Stage) -> bool:
    """True when the exercise's files differ from those the last check saw."""
    checked = record.get("fingerprint")
    return checked is not None and checked != exercise_fingerprint(stage)


def next_stage_to_do(progress: dict) -> Stage | None:
    for stage in all_stages():
        if stage_record(progress, stage).get("last_check") != "passed":
            return stage
    return None


def stage_or_next(args: list[str], progress: dict) -> Stage:
    """The stage named in args, or else the first stage not passed yet."""
    if args:
        return find_stage(args[0])
    return next_stage_to_do(progress) or all_stages()[-1]


def passed_stages(progress: dict) -> list[Stage]:
    """The stages that have passed a check at least once, in order."""
    return [s for s in all_stages() if stage_record(progress, s).get("ever_passed")]
