"""The stages: one per folder exercises/NN-name/, with its lesson, hints and solution.

A stage's files live in three places: src/stages/NN-name/ is what it gives
(read it), exercises/NN-name/ what the learner writes, solutions/NN-name/
the same files answered (the key, shown after a pass).

A STAGE on the command line is a number (0, 00), the folder's name
(00-blocking) or the name without its number (blocking).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kitcli.ui import ROOT, KitError, UsageError, relative

STAGE_DIR_PATTERN = re.compile(r"^(\d\d)-[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Stage:
    number: int
    slug: str  # "00-blocking"

    @property
    def nn(self) -> str:
        return self.slug[:2]

    @property
    def exercise_dir(self) -> Path:
        return ROOT / "exercises" / self.slug

    @property
    def given_dir(self) -> Path:
        """What the stage gives to read (headers, worked examples, glue): src/stages/NN-name."""
        return ROOT / "src" / "stages" / self.slug

    @property
    def solution_dir(self) -> Path:
        """The answer key: the exercise's files, answered."""
        return ROOT / "solutions" / self.slug

    @property
    def lesson(self) -> Path:
        return ROOT / "lessons" / f"{self.slug}.md"

    @property
    def hints_file(self) -> Path:
        return self.exercise_dir / "HINTS.md"

    @property
    def title(self) -> str:
        """The first '# ' heading of the lesson (less a 'Stage 0:' prefix), or the name."""
        try:
            for line in self.lesson.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    title = re.sub(r"^(Stage|Lesson)\s+\d+\s*[:.\u2013\u2014-]\s*", "",
                                   line[2:].strip())
                    return title[:1].upper() + title[1:]
        except OSError:
            pass
        return self.slug[3:].replace("-", " ").capitalize()


def discover_stages() -> list[Stage]:
    stages = []
    exercises = ROOT / "exercises"
    if exercises.is_dir():
        for entry in exercises.iterdir():
            match = STAGE_DIR_PATTERN.match(entry.name)
            if entry.is_dir() and match:
                stages.append(Stage(int(match.group(1)), entry.name))
    return sorted(stages, key=lambda s: s.number)


def all_stages() -> list[Stage]:
    """discover_stages(), or an error when there is none."""
    stages = discover_stages()
    if not stages:
        raise KitError("no stages found: there is no exercises/NN-name/ directory yet")
    return stages


def find_stage(text: str) -> Stage:
    """Accept '0', '00', '00-blocking' or 'blocking'."""
    stages = all_stages()
    for stage in stages:
        if text.isdigit() and int(text) == stage.number:
            return stage
        if text in (stage.slug, stage.slug[3:]):
            return stage
    known = ", ".join(s.slug for s in stages)
    raise UsageError(f"no stage '{text}' (the stages are {known}; see ./kit list)")


def reading_list(stage: Stage) -> str:
    """'lessons/NN-name.md (and the given code in src/stages/NN-name/)': what to read first."""
    if stage.given_dir.is_dir():
        return f"{relative(stage.lesson)} (and the given code in {relative(stage.given_dir)}/)"
    return relative(stage.lesson)


def stage_after(stage: Stage) -> Stage | None:
    later = [s for s in discover_stages() if s.number > stage.number]
    return later[0] if later else None


def is_editor_dropping(path: Path) -> bool:
    name = path.name
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx"))


def exercise_files(stage: Stage) -> list[Path]:
    """The learner's files of the stage, editor droppings left out, in a fixed order."""
    return sorted(p for p in stage.exercise_dir.rglob("*")
                  if p.is_file() and not is_editor_dropping(p))


def exercise_fingerprint(stage: Stage) -> str:
    """A hash of the names and contents of the exercise's files: it changes when they do."""
    digest = hashlib.sha256()
    for path in exercise_files(stage):
        try:
            content = path.read_bytes()
        except OSError:
            continue  # deleted while we looked
        digest.update(str(path.relative_to(stage.exercise_dir)).encode() + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()
