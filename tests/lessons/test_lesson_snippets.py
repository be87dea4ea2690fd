"""Lessons quote code that exists.

Every C++ block in lessons/*.md (and every C and Perl block: the appendix
quotes other libraries) is preceded by `<!-- quote: PATH -->` and must
appear, line for line, in that file (indentation may be shifted as a
whole). When the source changes, this test points at the lesson to update.
Each stage's lesson also ends with the command that checks its exercise;
the appendix (lessons/appendix-*.md) has no exercise.
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]-*.md"))
APPENDICES = sorted((ROOT / "lessons").glob("appendix-*.md"))
BLOCK = re.compile(r"(?:<!-- quote: (?P<path>\S+) -->\n)?```(?:cpp|c|perl)\n(?P<code>.*?)```", re.S)


def quoted_blocks():
    for lesson in LESSONS + APPENDICES:
        for match in BLOCK.finditer(lesson.read_text(encoding="utf-8")):
            yield pytest.param(lesson, match["path"], match["code"],
                               id=f"{lesson.name}:{match['code'].splitlines()[0].strip()[:40]}")


def contains_lines(text: str, block: str) -> bool:
    """True when `block`'s lines appear consecutively in `text`, all shifted alike."""
    want = block.rstrip("\n").splitlines()
    have = text.splitlines()
    for start in range(len(have) - len(want) + 1):
        shift = len(have[start]) - len(want[0])
        if shift < 0 or have[start][shift:] != want[0]:
            continue
        prefix = have[start][:shift]
        if all(have[start + i] == (prefix + line if line else "")
               or have[start + i].rstrip() == prefix + line
               for i, line in enumerate(want)):
            return True
    return False


def test_there_are_lessons():
    assert LESSONS, "expected lessons/NN-name.md files"


@pytest.mark.parametrize("lesson, path, code", quoted_blocks())
def test_a_quoted_snippet_matches_its_source(lesson, path, code):
    assert path, f"{lesson.name}: expected `<!-- quote: PATH -->` before the block\n{code}"
    source = ROOT / path
    assert source.is_file(), f"{lesson.name}: quotes {path}, which does not exist"
    if not contains_lines(source.read_text(encoding="utf-8"), code):
        pytest.fail(f"{lesson.name}: expected this block to appear in {path}, it does not "
                    f"(update the lesson or the code):\n{code}")


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_a_lesson_ends_with_its_check_command(lesson):
    number = int(lesson.name[:2])
    last = lesson.read_text(encoding="utf-8").rstrip().splitlines()[-1].strip()
    assert last == f"./kit check {number}", \
        f"{lesson.name}: expected the last line to be `./kit check {number}`, got {last!r}"


def test_the_matcher_rejects_a_changed_line():
    text = "int f() {\n    return 1;\n}\n"
    assert contains_lines(text, "int f() {\n    return 1;\n}\n")
    assert contains_lines("    int f() {\n        return 1;\n    }\n", "int f() {\n    return 1;\n}\n")
    assert not contains_lines(text, "int f() {\n    return 2;\n}\n")
