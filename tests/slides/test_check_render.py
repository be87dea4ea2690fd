"""The slide check catches what would embarrass a teacher in front of a class.

Each case builds a tiny deck in a temporary folder and runs
tests/slides/check_render.py on it (--decks DIR): a clean deck passes, and a
deck with one planted fault (a slide whose text runs off the bottom, a code
line wider than the slide, a character no installed font can draw, a slide
without speaker notes) fails with a message that names it. Needs what the
`slides` test needs: the Marp CLI in slides/node_modules and Chromium.
"""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "slides" / "check_render.py"

FRONT = """---
marp: true
theme: default
size: 16:9
---

"""
CLEAN = FRONT + """# A title slide

Some words.

<!--
Notes for the title.
-->

---

## A second slide

- one point → an arrow
- another point

<!--
Notes for the second slide.
-->
"""
TOO_LONG = "\n".join(f"- point number {n}, one of many" for n in range(30))
TOO_WIDE = "```text\n" + "x" * 160 + "\n```"
NO_FONT = "a Yi syllable: \uA000"  # no font here has Yi (an emoji would become a network image)


def run_check(tmp_path: pathlib.Path, deck: str) -> subprocess.CompletedProcess:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "deck.md").write_text(deck, encoding="utf-8")
    return subprocess.run([sys.executable, str(CHECK), "--decks", str(decks),
                           "--out", str(tmp_path / "out"), "--slides", "1"],
                          capture_output=True, text=True, timeout=280, check=False)


def test_a_clean_deck_passes(tmp_path):
    result = run_check(tmp_path, CLEAN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 2 slides fit" in result.stdout


@pytest.mark.parametrize("fault, expected", [
    (("- another point\n", TOO_LONG + "\n"), "slide 2: ul"),
    (("- another point\n", "- another point\n\n" + TOO_WIDE + "\n"), "is shrunk to"),
    (("- another point\n", "- " + NO_FONT + "\n"), "U+A000"),
    (("<!--\nNotes for the second slide.\n-->\n", ""), "slide(s) [2] have no speaker notes"),
], ids=["text-below-the-slide", "code-wider-than-the-slide", "missing-glyph", "no-notes"])
def test_a_planted_fault_fails_the_check(tmp_path, fault, expected):
    old, new = fault
    assert old in CLEAN
    result = run_check(tmp_path, CLEAN.replace(old, new, 1))
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr, result.stdout + result.stderr
