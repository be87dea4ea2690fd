"""./kit list: every stage, the last check of each, and the next one to do.

A check's verdict holds for the files it checked: a stage whose files
changed since says so (progress.changed_since_check).
"""

from __future__ import annotations

from kitcli.progress import changed_since_check, load_progress, next_stage_to_do, stage_record
from kitcli.stages import all_stages, reading_list
from kitcli.ui import ROOT, heading, paint, parse_options, relative

APPENDIX = ROOT / "lessons" / "appendix-elsewhere.md"


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + paint("#" * filled, "green") + "-" * (width - filled) + f"] {done}/{total} stages"


def status_text(record: dict, changed: bool) -> str:
    status = record.get("last_check")
    if status == "passed":
        text = paint("passed", "green")
    elif status == "failing":
        text = paint("failing", "red") + paint(f" ({record.get('detail', '')})", "dim")
    else:
        return paint("not checked yet", "dim")
    if changed:
        text += paint(" - changed since, check again", "yellow")
    return text


def cmd_list(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    stages = all_stages()
    progress = load_progress()
    upcoming = next_stage_to_do(progress)
    title_width = max(len(s.title) for s in stages)
    heading("Stages")
    for stage in stages:
        record = stage_record(progress, stage)
        mark = {"passed": paint("✓", "green"), "failing": paint("✗", "red")}.get(
            record.get("last_check"), paint("·", "dim"))
        status = status_text(record, changed_since_check(record, stage))
        line = f"  {mark} {stage.nn}  {stage.title:<{title_width}}  {status}"
        if stage == upcoming:
            line += paint("   <- next", "yellow", "bold")
        print(line)
    if APPENDIX.is_file():  # reading, no exercise: it has no progress to show
        print(f"  {paint('·', 'dim')} --  {'The same machine elsewhere':<{title_width}}  "
              + paint(f"appendix: read {relative(APPENDIX)}", "dim"))
    done = sum(1 for s in stages if stage_record(progress, s).get("last_check") == "passed")
    print()
    print("  " + progress_bar(done, len(stages)))
    print()
    if upcoming is None:
        print("Every stage passes. Congratulations!")
    else:
        print(f"Next: read {reading_list(upcoming)}, then ./kit check {upcoming.number}")
    return 0
