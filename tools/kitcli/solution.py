"""./kit solution STAGE [--force]: the learner's exercise next to the reference.

Hidden until the stage has passed once (--force shows it anyway): working it
out is the lesson.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

from kitcli.progress import load_progress, stage_record
from kitcli.stages import Stage, find_stage
from kitcli.ui import USE_COLOR, KitError, heading, paint, parse_options, relative, run_captured


def files_under(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def git_diff(old: Path | None, new: Path | None) -> str:
    color = "--color=always" if USE_COLOR else "--color=never"
    command = ["git", "--no-pager", "diff", "--no-index", "--no-ext-diff", color, "--",
               relative(old) if old else os.devnull, relative(new) if new else os.devnull]
    return run_captured(command).stdout


def python_diff(old: Path | None, new: Path | None) -> str:
    old_lines = old.read_text(encoding="utf-8", errors="replace").splitlines(True) if old else []
    new_lines = new.read_text(encoding="utf-8", errors="replace").splitlines(True) if new else []
    diff = difflib.unified_diff(old_lines, new_lines,
                                relative(old) if old else os.devnull,
                                relative(new) if new else os.devnull)
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def solution_diff(stage: Stage) -> str:
    """Unified diff exercises/NN-name -> solutions/NN-name (HINTS.md left out).

    Only the learner's files: those of the exercise folder. The solution's
    other files (headers, the code a stage gives) are the same on both tracks.
    """
    differ = git_diff if shutil.which("git") else python_diff
    names = files_under(stage.exercise_dir) - {"HINTS.md"}
    parts = []
    for name in sorted(names):
        old = stage.exercise_dir / name
        new = stage.solution_dir / name
        parts.append(differ(old if old.is_file() else None, new if new.is_file() else None))
    return "".join(parts)


def cmd_solution(args: list[str]) -> int:
    positional, options = parse_options(args, ["--force"], max_positional=1, min_positional=1)
    stage = find_stage(positional[0])
    if not stage.solution_dir.is_dir():
        raise KitError(f"there is no {relative(stage.solution_dir)}/ in this checkout")
    passed = stage_record(load_progress(), stage).get("ever_passed", False)
    if not passed and "--force" not in options:
        print(f"Stage {stage.nn} has not passed yet, so its solution stays hidden: "
              "working it out is the lesson.")
        print(f"  Check your code:  ./kit check {stage.number}")
        print(f"  Get a hint:       ./kit hint {stage.number}")
        print(f"  Look anyway:      ./kit solution {stage.number} --force")
        return 1
    diff = solution_diff(stage)
    if not diff:
        print(f"Your exercises/{stage.slug}/ is identical to the reference solution.")
        return 0
    heading(f"Your code (exercises/{stage.slug}) -> the reference (solutions/{stage.slug})")
    print(paint("Lines with - are yours, lines with + are the reference's.", "dim"))
    print()
    print(diff, end="")
    return 0
