"""No lesson and no hint gives away the body of an exercise's TODO.

An "answer line" is a line of code that a reference solution has and its
exercise file does not, and that appears nowhere in the code a learner is
given (src/, the exercise files themselves, and solution files that have no
exercise counterpart). A code block in a lesson or a hint fails when it
shares a run of RUN tokens with the answer lines that the given code does
not also have: reformatting or renaming a little does not hide an answer.
Lessons explain with given code, pseudo-code and diagrams; the reference
walkthrough comes after the pass (`./kit solution N`).
"""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".c"}
FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
TOKEN = re.compile(r"\w+|::|->|&&|\|\||[<>!=]=|\S")
RUN = 10  # tokens: `if (x != 0) return {};` is 11, a whole call is more


def tokens(text: str) -> list[str]:
    """C++ tokens of `text`, comments dropped."""
    return TOKEN.findall("\n".join(line.split("//", 1)[0] for line in text.splitlines()))


def runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}


def sources(folder: pathlib.Path):
    return (p for p in folder.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())


def answer_runs() -> dict[tuple[str, ...], pathlib.Path]:
    """Every run of tokens that only an answer has, with the solution file it comes from."""
    pairs = []
    for exercise in sources(ROOT / "exercises"):
        solution = ROOT / "solutions" / exercise.relative_to(ROOT / "exercises")
        if solution.is_file():
            pairs.append((exercise, solution))
    answer_files = {solution for _, solution in pairs}
    given_files = [*sources(ROOT / "src"), *sources(ROOT / "exercises"),
                   *(p for p in sources(ROOT / "solutions") if p not in answer_files)]
    given_lines = set()
    given: set[tuple[str, ...]] = set()
    for path in given_files:
        text = path.read_text(encoding="utf-8")
        given_lines |= {line.strip() for line in text.splitlines()}
        given |= runs(tokens(text))
    answers = {}
    for _, solution in pairs:
        lines = solution.read_text(encoding="utf-8").splitlines()
        own = "\n".join(line for line in lines if line.strip() not in given_lines)
        for run in runs(tokens(own)) - given:
            answers[run] = solution
    return answers


def code_blocks(text: str):
    """Fenced blocks, and indented (four-space) blocks outside them."""
    for match in FENCED.finditer(text):
        yield match.group(1)
    outside = FENCED.sub("", text)
    block: list[str] = []
    for line in outside.splitlines() + [""]:
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line)
        else:
            if any(part.strip() for part in block):
                yield "\n".join(block)
            block = []


def giveaways(block: str, answers: dict[tuple[str, ...], pathlib.Path]) -> set[pathlib.Path]:
    """The solution files whose answers `block` repeats."""
    return {answers[run] for run in runs(tokens(block)) if run in answers}


def documents():
    yield from sorted((ROOT / "lessons").glob("*.md"))
    yield from sorted((ROOT / "exercises").rglob("*.md"))


ANSWERS = answer_runs()
DOCUMENTS = list(documents())


def test_the_exercises_have_answers_to_protect():
    assert len(ANSWERS) > 100, f"expected the solutions to hold answers, found {len(ANSWERS)} runs"


def test_a_block_quoting_a_solution_is_caught():
    """The detector itself: a reformatted paste of an answer fails, plain code does not."""
    run = next(iter(ANSWERS))
    assert giveaways("    " + "  ".join(run), ANSWERS)
    assert not giveaways("    int count = 0;\n    return {};", ANSWERS)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p in DOCUMENTS])
def test_no_block_gives_away_a_todo(document):
    problems = []
    for block in code_blocks(document.read_text(encoding="utf-8")):
        found = giveaways(block, ANSWERS)
        if found:
            where = ", ".join(sorted(str(path.relative_to(ROOT)) for path in found))
            problems.append(f"this block repeats {where}:\n{block}")
    assert not problems, (f"{document.relative_to(ROOT)}: expected no answer to an exercise's "
                          "TODO (explain with given code or pseudo-code instead); found\n"
                          + "\n".join(problems))


# A learner reads src/ and writes exercises/: what they read before passing
# never sends them into solutions/ (a build output such as
# build/dev/solutions/01-select/fetch is a program to run, not a file to read).
ANSWER_KEY_LINK = re.compile(r"(?<![\w/])solutions/\d\d-[\w-]+")


def answer_key_links(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if ANSWER_KEY_LINK.search(line)]


def test_the_link_check_sees_a_link_into_the_answer_key():
    assert answer_key_links("see `solutions/02-reactor/loop.cpp`\n")
    assert answer_key_links("<!-- quote: solutions/05-timers/timer_queue.cpp -->\n")
    assert not answer_key_links("run build/dev/solutions/01-select/fetch\n")
    assert not answer_key_links("read src/stages/02-reactor/loop.hpp\n")


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p in DOCUMENTS])
def test_no_document_sends_the_learner_into_the_answer_key(document):
    found = answer_key_links(document.read_text(encoding="utf-8"))
    assert not found, (f"{document.relative_to(ROOT)}: expected links to the given code "
                       "(src/stages/NN-name/) or the learner's own exercises/NN-name/, "
                       "never solutions/ (the answer key); found\n  " + "\n  ".join(found))
