"""Lessons quote code that exists.

Every C++ block in lessons/*.md (and every C and Perl block: the appendix
quotes other libraries) is preceded by `<!-- quote: PATH -->` and must
appear, line for line, in that file (indentation may be shifted as a
whole). When the source changes, this test points at the lesson to update.
Each stage's lesson also ends with the command that checks its exercise;
the appendix (lessons/appendix-*.md) has no exercise.

The STRUCTURED lessons are also built to teach, and this file checks their
form: they open with what the learner will be able to do; every measured
figure (an image drawn from real runs, or a table marked
`<!-- measured: WHERE -->`) comes after a **Predict.** paragraph in the same
section; a table of measured numbers carries that marker; at least one
conceptual figure (images/concept-*.png, tools/make_concept_images.py)
explains an idea; and a `## Questions` section ends the lesson's text with
at least three questions and as many answers, collapsed in <details>.
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]-*.md"))
STRUCTURED = {"00", "01", "02", "03", "04", "05", "06", "07", "08"}
OBJECTIVES = "**By the end of this lesson you will be able to:**"
PREDICT = "**Predict.**"
IMAGE = re.compile(r"!\[[^\]]*\]\((?P<src>[^)]+)\)")
MEASURED_MARKER = re.compile(r"<!-- measured: \S.*?-->")
NUMBER_CELL = re.compile(r"^[—\d.,]+\s*[×%]?$")
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


# ---------------------------------------------------------------- form


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) for the text before the first `## ` and for each `## ` section."""
    parts = re.split(r"^(## .*)$", text, flags=re.M)
    result = [("", parts[0])]
    result += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]
    return result


def is_measured_table_row(line: str) -> bool:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return line.lstrip().startswith("|") and sum(bool(NUMBER_CELL.match(c)) for c in cells) >= 3


def form_problems(text: str, images: pathlib.Path) -> list[str]:
    """What keeps a lesson's text from the form; empty when it has it all."""
    problems = []
    parts = sections(text)
    intro = parts[0][1]
    if OBJECTIVES not in intro:
        problems.append(f"expected {OBJECTIVES!r} before the first `## ` section")
    else:
        after = intro.split(OBJECTIVES, 1)[1].lstrip("\n").splitlines()
        items = [line for line in after if line.startswith("- ")]
        if len(items) < 2:
            problems.append("expected at least two objectives, as `- ` items, after "
                            f"{OBJECTIVES!r}")
    concept = False
    for heading, body in parts:
        where = heading or "the opening"
        predicted = False
        marked = False
        for line in body.splitlines():
            if line.startswith(PREDICT):
                predicted = True
            if MEASURED_MARKER.search(line):
                marked = True
                if not predicted:
                    problems.append(f"{where}: a measured table comes before any {PREDICT!r} "
                                    "paragraph of its section")
            if is_measured_table_row(line) and not marked:
                problems.append(f"{where}: a table of measured numbers without "
                                f"`<!-- measured: WHERE -->` before it: {line.strip()[:60]}")
                marked = True  # one report per table
            for image in IMAGE.finditer(line):
                src = image["src"]
                if not (images.parent / src).is_file():
                    problems.append(f"{where}: shows {src}, which does not exist")
                if pathlib.PurePath(src).name.startswith("concept-"):
                    concept = True
                elif not predicted:
                    problems.append(f"{where}: the measured figure {src} comes before any "
                                    f"{PREDICT!r} paragraph of its section")
    if not concept:
        problems.append("expected at least one conceptual figure (images/concept-*.png)")
    questions = [body for heading, body in parts if heading == "## Questions"]
    if not questions:
        problems.append("expected a `## Questions` section")
    else:
        asked, _, answered = questions[0].partition("<details>")
        n_asked = len(re.findall(r"^\d+\. ", asked, flags=re.M))
        n_answered = len(re.findall(r"^\d+\. ", answered.split("</details>")[0], flags=re.M))
        if n_asked < 3:
            problems.append(f"expected at least three numbered questions, found {n_asked}")
        if not answered or "</details>" not in answered:
            problems.append("expected the answers collapsed in <details> ... </details>")
        elif n_answered != n_asked:
            problems.append(f"{n_asked} question(s) but {n_answered} answer(s)")
        later = [heading for heading, _ in parts[parts.index(("## Questions", questions[0])) + 1:]]
        if any(h != "## Exercise" for h in later):
            problems.append(f"expected only `## Exercise` after the questions, found {later}")
    return problems


STRUCTURED_LESSONS = [p for p in LESSONS if p.name[:2] in STRUCTURED]


def test_every_structured_lesson_is_there():
    assert sorted(p.name[:2] for p in STRUCTURED_LESSONS) == sorted(STRUCTURED)


@pytest.mark.parametrize("lesson", STRUCTURED_LESSONS, ids=[p.name for p in STRUCTURED_LESSONS])
def test_a_lesson_has_objectives_predictions_figures_and_questions(lesson):
    problems = form_problems(lesson.read_text(encoding="utf-8"), lesson.parent / "images")
    assert not problems, f"{lesson.name}:\n  " + "\n  ".join(problems)


GOOD = """# Stage 9

Intro.

**By the end of this lesson you will be able to:**

- one thing;
- another.

## Idea

![a turn](images/concept-loop-turn.png)

## Measured

**Predict.** How long?

![real](images/stall.png)

<!-- measured: tools/x -->
| n | a | b |
|---|---|---|
| 1 | 2 | 3 |

## Questions

1. a?
2. b?
3. c?

<details><summary>Answers</summary>

1. a.
2. b.
3. c.

</details>

## Exercise

./kit check 9
"""


@pytest.mark.parametrize("change, complaint", [
    (("**By the end of this lesson you will be able to:**", "You will learn:"), "before the first"),
    (("**Predict.** How long?", "How long?"), "comes before any"),
    (("<!-- measured: tools/x -->\n", ""), "without `<!-- measured"),
    (("concept-loop-turn", "blocking-vs-select"), "conceptual figure"),
    (("3. c?\n", ""), "at least three"),
    (("3. c.\n", ""), "3 question(s) but 2"),
    (("<details><summary>Answers</summary>", "Answers:"), "collapsed"),
    (("## Exercise", "## More"), "only `## Exercise`"),
    (("images/stall.png", "images/missing.png"), "does not exist"),
])
def test_the_form_check_rejects_a_lesson_without_each_part(change, complaint):
    images = ROOT / "lessons" / "images"
    assert form_problems(GOOD, images) == []
    old, new = change
    assert old in GOOD
    problems = form_problems(GOOD.replace(old, new, 1), images)
    assert any(complaint in p for p in problems), problems
