"""./kit watch [STAGE]: check, wait for a saved file (or Enter / h / q), check again.

Watch stays on its stage. When the stage passes it says what comes next and
goes on only when the learner asks (`n` at a terminal); without a terminal
it stops there.
"""

from __future__ import annotations

import select
import sys
import time

from kitcli.check import check_stage
from kitcli.hint import show_next_hint
from kitcli.progress import load_progress, stage_or_next
from kitcli.stages import Stage, exercise_files, stage_after
from kitcli.ui import paint, parse_options, relative

WATCH_POLL_SECONDS = 0.5


def exercise_snapshot(stage: Stage) -> dict:
    """Modification time and size of every file of the exercise (editor droppings aside)."""
    snapshot = {}
    for path in exercise_files(stage):
        try:
            info = path.stat()
        except OSError:
            continue  # deleted while we looked
        snapshot[str(path)] = (info.st_mtime_ns, info.st_size)
    return snapshot


def clear_screen() -> None:
    if sys.stdout.isatty():
        print("\033[2J\033[3J\033[H", end="")


def read_key() -> str:
    """A typed line: Enter -> 'recheck', h -> 'hint', n -> 'next', q or end of input -> 'quit'."""
    key = sys.stdin.readline()
    if key == "" or key.strip().lower() == "q":
        return "quit"
    return {"h": "hint", "n": "next"}.get(key.strip().lower(), "recheck")


def wait_for_event(stage: Stage, snapshot: dict, interactive: bool) -> str:
    """Block until a file changes ('changed') or the learner types a line (read_key).

    Without a terminal on stdin we only watch the files.
    """
    while True:
        if interactive:
            ready, _, _ = select.select([sys.stdin], [], [], WATCH_POLL_SECONDS)
            if ready:
                return read_key()
        else:
            time.sleep(WATCH_POLL_SECONDS)
        if exercise_snapshot(stage) != snapshot:
            time.sleep(0.2)  # let the editor finish writing
            return "changed"


def watch_prompt(stage: Stage, interactive: bool, following: Stage | None = None) -> None:
    print()
    print(paint(f"Watching exercises/{stage.slug}/: save a file to check again.", "cyan"))
    if interactive:
        keys = "  [Enter] check now   [h Enter] hint   "
        if following is not None:
            keys += f"[n Enter] go on to stage {following.nn}   "
        print(paint(keys + "[q Enter] quit   (or Ctrl-C)", "dim"))
    sys.stdout.flush()


def announce_next(following: Stage | None, interactive: bool) -> None:
    print()
    if following is None:
        return
    print(paint(f"Next up: stage {following.nn} ({following.title}): read "
                f"{relative(following.lesson)}, then ./kit watch {following.number}", "bold"))
    if not interactive:
        print("(watch stops here; it never moves on to another stage by itself)")


def watch(stage: Stage) -> int:
    interactive = sys.stdin.isatty()
    while True:
        clear_screen()
        snapshot = exercise_snapshot(stage)
        following = None
        if check_stage(stage):
            following = stage_after(stage)
            announce_next(following, interactive)
            if not interactive:
                return 0
        watch_prompt(stage, interactive, following)
        event = wait_for_event(stage, snapshot, interactive)
        while event in ("hint", "next"):
            if event == "next" and following is not None:
                break
            print()
            if event == "hint":
                show_next_hint(stage)
            watch_prompt(stage, interactive, following)
            event = wait_for_event(stage, snapshot, interactive)
        if event == "quit":
            return 0
        if event == "next":
            stage = following


def cmd_watch(args: list[str]) -> int:
    positional, _ = parse_options(args, [], max_positional=1)
    stage = stage_or_next(positional, load_progress())
    try:
        return watch(stage)
    except KeyboardInterrupt:
        print("\nStopped watching.")
        return 0
