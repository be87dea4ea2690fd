"""./kit hint STAGE [--all]: the stage's hints, one tier at a time.

Hints are the '## Hint N' sections of exercises/NN-name/HINTS.md, from a
question to the shape of the answer. A tier is spent only when the learner
names the stage: `./kit hint` alone says which stage is next and spends nothing.
"""

from __future__ import annotations

import re

from kitcli.progress import load_progress, next_stage_to_do, save_progress, stage_record
from kitcli.stages import Stage, find_stage
from kitcli.ui import paint, parse_options, relative


def read_hints(stage: Stage) -> list[str]:
    """The '## Hint N' sections of the stage's HINTS.md, in order."""
    try:
        text = stage.hints_file.read_text(encoding="utf-8")
    except OSError:
        return []
    sections: list[list[str]] = []
    inside_hint = False
    inside_code = False  # a '#include' in a code block is not a heading
    for line in text.splitlines():
        if line.startswith("```"):
            inside_code = not inside_code
        if not inside_code and re.match(r"^##\s+Hint\s+\d+", line):
            sections.append([])
            inside_hint = True
        elif not inside_code and re.match(r"^#{1,2}\s", line):
            inside_hint = False  # another section of the file ends the hint
        elif inside_hint:
            sections[-1].append(line)
    return ["\n".join(lines).strip() for lines in sections]


def show_hint(stage: Stage, number: int, total: int, text: str) -> None:
    print(paint(f"Stage {stage.nn}, hint {number} of {total}", "yellow", "bold"))
    print()
    print(text)
    print()


def show_next_hint(stage: Stage) -> None:
    hints = read_hints(stage)
    if not hints:
        print(f"Stage {stage.nn} has no hints ({relative(stage.hints_file)} has no '## Hint 1').")
        return
    progress = load_progress()
    record = stage_record(progress, stage)
    shown = min(record.get("hints_shown", 0), len(hints))
    if shown >= len(hints):
        print(f"No more hints for stage {stage.nn}: you have seen all {len(hints)}. "
              f"See them again: ./kit hint {stage.number} --all")
        return
    show_hint(stage, shown + 1, len(hints), hints[shown])
    record["hints_shown"] = shown + 1
    save_progress(progress)
    remaining = len(hints) - shown - 1
    if remaining:
        print(paint(f"({remaining} more: ./kit hint {stage.number} again)", "dim"))
    else:
        print(paint("(that was the last hint)", "dim"))


def show_hints_so_far(stage: Stage) -> None:
    hints = read_hints(stage)
    shown = min(stage_record(load_progress(), stage).get("hints_shown", 0), len(hints))
    if shown == 0:
        print(f"You have not seen any hint for stage {stage.nn} yet: ./kit hint {stage.number}")
        return
    for index in range(shown):
        show_hint(stage, index + 1, len(hints), hints[index])


def name_the_stage() -> None:
    """`./kit hint` alone: which stage a hint would be for, and the command for it."""
    progress = load_progress()
    stage = next_stage_to_do(progress)
    if stage is None:
        print("Every stage passes: no hint needed. ./kit hint STAGE still shows a stage's hints.")
        return
    total = len(read_hints(stage))
    shown = min(stage_record(progress, stage).get("hints_shown", 0), total)
    print(f"Hints are per stage, and each one you ask for is counted. "
          f"Your next stage is {stage.nn} ({stage.title}).")
    if shown < total:
        print(f"  Its hint {shown + 1} of {total}:  ./kit hint {stage.number}")
    else:
        print(f"  You have seen all {total} of its hints:  ./kit hint {stage.number} --all")


def cmd_hint(args: list[str]) -> int:
    positional, options = parse_options(args, ["--all"], max_positional=1)
    if not positional:
        name_the_stage()
        return 0
    stage = find_stage(positional[0])
    if "--all" in options:
        show_hints_so_far(stage)
    else:
        show_next_hint(stage)
    return 0
