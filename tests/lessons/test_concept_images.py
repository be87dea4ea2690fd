"""The lessons' conceptual figures are what tools/make_concept_images.py draws.

The figures are diagrams drawn by code, not screenshots: this test draws
them again into a temporary folder and requires every committed image to
be byte for byte what the code draws now, so a figure cannot drift from
its code (edit the code, run the tool, commit both). Bytes are comparable
only with the matplotlib and FreeType that drew the committed images (the
PNGs say which); elsewhere (macOS CI, a pip matplotlib) that test skips
and says why. It also requires that
every figure the tool draws is shown by some lesson, and that the lessons
show no concept image the tool does not draw.
"""
import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGES = ROOT / "lessons" / "images"


def load_tool():
    spec = importlib.util.spec_from_file_location("make_concept_images",
                                                  ROOT / "tools" / "make_concept_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = load_tool()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("concept")
    assert TOOL.main(["--out-dir", str(out)]) == 0
    return out


def drawn_with(png: pathlib.Path) -> str:
    """The Comment text chunk the tool writes: which matplotlib and FreeType drew it."""
    from PIL import Image  # matplotlib depends on Pillow
    with Image.open(png) as image:
        return image.info.get("Comment", "")


@pytest.mark.parametrize("name", sorted(TOOL.FIGURES))
def test_a_committed_figure_is_what_the_code_draws(drawn, name):
    committed = IMAGES / name
    assert committed.is_file(), f"{committed} is missing: run tools/make_concept_images.py"
    advice = (f"lessons/images/{name} differs from what tools/make_concept_images.py draws now: "
              "run the tool and commit the image with its code")
    if drawn_with(committed) != TOOL.DRAWN_WITH:
        # Another matplotlib or FreeType rasterises text a little differently,
        # so bytes cannot be compared here; the platform that drew them can.
        pytest.skip(f"{name} was drawn with {drawn_with(committed)!r}, this is "
                    f"{TOOL.DRAWN_WITH!r}: bytes are compared only on the same versions")
    assert (drawn / name).read_bytes() == committed.read_bytes(), advice


def test_drawing_twice_gives_the_same_bytes(drawn, tmp_path):
    assert TOOL.main(["--out-dir", str(tmp_path)]) == 0
    for name in TOOL.FIGURES:
        assert (tmp_path / name).read_bytes() == (drawn / name).read_bytes(), name


def test_the_comparison_notices_a_changed_figure(drawn, tmp_path):
    """A figure whose code changed is caught: draw the heap with one deadline changed."""
    TOOL.heap(tmp_path / "concept-heap.png", deadlines=(10, 20, 15, 40, 25, 30, 18, 50, 46))
    assert (tmp_path / "concept-heap.png").read_bytes() != (IMAGES / "concept-heap.png").read_bytes()


def test_every_figure_is_shown_and_every_shown_one_is_drawn():
    shown = set()
    for lesson in (ROOT / "lessons").glob("[0-9][0-9]-*.md"):
        shown |= set(re.findall(r"images/(concept-[\w-]+\.png)", lesson.read_text(encoding="utf-8")))
    assert shown == set(TOOL.FIGURES), (
        f"shown but not drawn: {sorted(shown - set(TOOL.FIGURES))}; "
        f"drawn but not shown: {sorted(set(TOOL.FIGURES) - shown)}")
