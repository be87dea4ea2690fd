#!/usr/bin/env python3
"""Build the classroom deck and check that it renders to something visible.

What it does, in order:

1. builds every deck in slides/decks/ with the locally installed Marp CLI
   (slides/node_modules/.bin/marp) into --out DIR, one HTML file per deck;
2. checks each HTML file is self-contained: it must not load fonts, styles,
   scripts or images from the network (the classroom may be offline);
3. opens the first few slides of each deck (file://...html#N) in headless
   Chromium, 1280x720, one screenshot each. It renders a copy of the HTML
   with one added style rule that hides Marp's on-screen control bar: that
   bar fades out through a CSS transition that headless screenshots catch
   half-way, and it would count as "ink" on an otherwise blank deck;
4. decodes each PNG (standard library only) and requires that more than
   --min-ink of its pixels differ from the dominant colour, and that
   consecutive slides differ from each other (so hash navigation worked);
5. requires speaker notes (an HTML comment that is not a directive) on
   every slide, except in the sections listed in NOTES_PENDING;
6. requires that every character the decks use has a glyph in some
   installed font (fontconfig's fc-list), so nothing renders as a box;
7. builds the decks once more with Marp's bare template (every slide laid
   out at once), lets Chromium measure every slide (--dump-dom, a script
   added to a copy), and fails when an element sticks out of a slide's
   padding box, a code block or table is wider than its box, or Marp shrank
   a code block below 80 % to fit: text cut off or too small on the projector.

--decks DIR checks the decks in DIR instead of slides/decks (the tests plant
an overflowing slide and a missing glyph that way).

--html FILE skips the build and checks one existing HTML file instead
(useful to see the check reject a blank page).

Exit 0 when every check passes, 1 when a check fails, 2 when a tool is missing
or the arguments are wrong. Standard library only; runs under any python3.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SLIDES = REPO / "slides"
DECKS = SLIDES / "decks"
MARP = SLIDES / "node_modules" / ".bin" / "marp"
IMAGES = SLIDES.parent / "lessons" / "images"

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,720",
)

# Anything in the HTML that a browser would fetch by itself: stylesheet and
# font imports, url(...) in CSS, and src/href on the elements that load.
NETWORK_REFS = (
    re.compile(r"""@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""<(?:img|script|iframe|source|video|audio|embed)\b[^>]*\ssrc\s*=\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""<link\b[^>]*\shref\s*=\s*["']?\s*(?:https?:)?//""", re.I),
)


class CheckFailed(Exception):
    """A check did not hold: exit 1."""


class MissingTool(Exception):
    """A tool the check needs is not installed: exit 2."""


# ---------------------------------------------------------------- building


def build_decks(out: Path, timeout: float, decks_dir: Path = DECKS,
                template: str | None = None) -> list[Path]:
    """Run the local Marp CLI on decks_dir; return the HTML files it wrote."""
    if not MARP.exists():
        raise MissingTool(f"Marp CLI not found at {MARP}: run npm ci in slides/ "
                          f"(cd {SLIDES} && npm ci)")
    if shutil.which("node") is None:
        raise MissingTool("node not found on PATH: install Node.js 18 or newer "
                          "(apt-get install nodejs npm), then run npm ci in slides/")
    decks = sorted(decks_dir.glob("*.md"))
    if not decks:
        raise CheckFailed(f"no decks found in {decks_dir}")
    for deck in decks:
        check_code_blocks(deck)
    out.mkdir(parents=True, exist_ok=True)
    cmd = [str(MARP), "--no-stdin", "--html", "--input-dir", str(decks_dir), "--output", str(out)]
    if template:
        cmd += ["--template", template]
    print("build:", " ".join(cmd))
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=SLIDES, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"marp did not finish within {timeout:g} s")
    if proc.returncode != 0:
        raise CheckFailed(f"marp failed with exit {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    htmls = []
    for deck in decks:
        html = out / (deck.stem + ".html")
        if not html.is_file():
            raise CheckFailed(f"marp ran but wrote no {html} for {deck.name}:\n{proc.stderr}")
        htmls.append(html)
    # The decks show the lessons' timeline images by relative path.
    shutil.copytree(IMAGES, out / "images", dirs_exist_ok=True)
    print(f"build: {len(htmls)} deck(s) in {time.monotonic() - started:.1f} s")
    return htmls


def check_code_blocks(deck: Path) -> None:
    """Every code block must close on the slide that opens it.

    An unclosed ``` swallows the slides after it into one code block: Marp
    still renders, and something is drawn, so the screenshots alone would
    not notice (a bad merge did exactly that once).
    """
    opened_at = None  # line number of the open fence, if one is open
    for number, line in enumerate(deck.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            opened_at = number if opened_at is None else None
        elif line.strip() == "---" and opened_at is not None:
            raise CheckFailed(f"{deck.name}:{opened_at}: code block not closed before the "
                              f"slide break on line {number}")
    if opened_at is not None:
        raise CheckFailed(f"{deck.name}:{opened_at}: code block not closed at the end of the deck")


# ---------------------------------------------------------------- the HTML


def check_html(html: Path, wanted: list[int]) -> int:
    """Check the file is offline-safe and has the wanted slides; return the slide count."""
    text = html.read_text(encoding="utf-8", errors="replace")
    for pattern in NETWORK_REFS:
        m = pattern.search(text)
        if m:
            raise CheckFailed(f"{html.name} loads something from the network: "
                              f"...{text[max(0, m.start() - 40):m.end() + 60]}...")
    ids = {int(n) for n in re.findall(r"""<section\b[^>]*\sid\s*=\s*["']?(\d+)""", text)}
    missing = [n for n in wanted if n not in ids]
    if missing:
        raise CheckFailed(f"{html.name} has {len(ids)} slide(s) (<section id=N>); "
                          f"missing slide(s) {missing}: is it a Marp HTML deck?")
    images = re.findall(r"""<img\b[^>]*\ssrc\s*=\s*["']([^"']+)""", text)
    absent = [src for src in images
              if not src.startswith("data:") and not (html.parent / src).is_file()]
    if absent:
        raise CheckFailed(f"{html.name} shows images that are not there: {absent}")
    print(f"html: {html.name}: {len(ids)} slides, {len(images)} image(s), "
          "nothing fetched from the network")
    return len(ids)


# ---------------------------------------------------------------- Chromium

# Added to the rendered copy only: Marp's bespoke template shows an on-screen
# control bar (page number, fullscreen button) that is not slide content.
HIDE_CONTROLS = "<style>.bespoke-marp-osc{display:none!important}</style>"


def render_copy(html: Path, shots: Path) -> Path:
    """Write html with the control bar hidden next to the original; return its path."""
    text = html.read_text(encoding="utf-8", errors="replace")
    head_end = re.search(r"</head\s*>", text, re.I)
    at = head_end.start() if head_end else 0
    copy = html.parent / f"{html.stem}.render.html"  # beside it: relative images resolve
    copy.write_text(text[:at] + HIDE_CONTROLS + text[at:], encoding="utf-8")
    return copy



def find_chromium() -> str:
    override = os.environ.get("CHROMIUM")
    if override:
        path = shutil.which(override)
        if path is None:
            raise MissingTool(f"CHROMIUM={override} is not an executable browser: "
                              "apt-get install chromium, or point CHROMIUM at one")
        return path
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise MissingTool("Chromium not found (looked for /usr/bin/chromium and "
                      + ", ".join(CHROMIUM_CANDIDATES)
                      + " on PATH): apt-get install chromium, or set CHROMIUM=/path/to/browser")


def screenshot(chromium: str, url: str, png: Path, profile: Path, timeout: float) -> None:
    """Render url at 1280x720 into png; the browser gets at most timeout seconds."""
    if png.exists():
        png.unlink()
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
           f"--screenshot={png}", url]
    # A session of its own, so that on timeout the whole browser (zygote,
    # renderer, GPU process) goes, not just the parent.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        raise CheckFailed(f"chromium did not finish {url} within {timeout:g} s")
    finally:
        _kill_group(proc.pid)  # stragglers of this browser run, if any
    if proc.returncode != 0 or not png.is_file():
        tail = (err or b"").decode(errors="replace").strip().splitlines()[-15:]
        raise CheckFailed(f"chromium exited {proc.returncode} without a screenshot of {url}:\n"
                          + "\n".join(tail))


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---------------------------------------------------------------- PNG


def decode_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced grey/RGB/RGBA PNG.

    Returns (width, height, rows) where each row holds width RGB triples
    (alpha is dropped, grey is widened).
    """
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CheckFailed(f"{path} is not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise CheckFailed(f"{path}: no IHDR or IDAT chunk")
    width, height, depth, colour, _compression, _filter, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise CheckFailed(f"{path}: unsupported PNG (bit depth {depth}, colour type {colour}, "
                          f"interlace {interlace}); expected 8-bit grey/RGB/RGBA, not interlaced")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise CheckFailed(f"{path}: pixel data has {len(raw)} bytes, expected {height * (stride + 1)}")

    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(kind, line, prev, channels, path)
        rows.append(_to_rgb(bytes(line), channels))
        prev = line
    return width, height, rows


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int, path: Path) -> None:
    n = len(line)
    if kind == 0:  # None
        return
    if kind == 1:  # Sub
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:  # Up
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 0xFF
    elif kind == 3:  # Average
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            if pa <= pb and pa <= pc:
                pred = a
            elif pb <= pc:
                pred = b
            else:
                pred = c
            line[i] = (line[i] + pred) & 0xFF
    else:
        raise CheckFailed(f"{path}: unknown PNG filter type {kind}")


def _to_rgb(line: bytes, channels: int) -> bytes:
    if channels == 3:
        return line
    if channels == 4:
        out = bytearray(len(line) // 4 * 3)
        out[0::3], out[1::3], out[2::3] = line[0::4], line[1::4], line[2::4]
        return bytes(out)
    grey = line[0::channels]
    out = bytearray(len(grey) * 3)
    out[0::3] = out[1::3] = out[2::3] = grey
    return bytes(out)


def ink(rows: list[bytes]) -> tuple[float, tuple[int, int, int]]:
    """Fraction of pixels that differ from the dominant colour, and that colour."""
    counts: collections.Counter[bytes] = collections.Counter()
    for row in rows:
        counts.update(row[i:i + 3] for i in range(0, len(row), 3))
    dominant, n = counts.most_common(1)[0]
    total = sum(counts.values())
    return (total - n) / total, tuple(dominant)


def difference(a: list[bytes], b: list[bytes]) -> float:
    """Fraction of pixels that differ between two images of the same size."""
    if len(a) != len(b):
        return 1.0
    changed = total = 0
    for ra, rb in zip(a, b):
        total += len(ra) // 3
        if ra != rb:
            changed += sum(1 for i in range(0, len(ra), 3) if ra[i:i + 3] != rb[i:i + 3])
    return changed / total if total else 0.0


# ---------------------------------------------------------------- notes

# Sections (by the title of their divider slide) whose speaker notes are
# another change's work (issue 16): their slides may lack notes for now.
# Remove an entry once its section has notes on every slide.
NOTES_PENDING: tuple[str, ...] = ()

SECTION = re.compile(r"""<section\b(?P<attrs>[^>]*)>(?P<body>.*?)</section>""", re.S)
NOTE = re.compile(r"""<div class="bespoke-marp-note" data-index="(\d+)"[^>]*>(.*?)</div>""", re.S)
TAG = re.compile(r"<[^>]+>")


def slide_sections(text: str) -> list[str]:
    """The section each slide belongs to: the title of the divider slide before it."""
    current, result = "", []
    for match in SECTION.finditer(text):
        attrs, body = match["attrs"], match["body"]
        if re.search(r"""class="[^"]*\bdivider\b""", attrs):
            h1 = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
            current = TAG.sub("", h1.group(1)).strip() if h1 else ""
        result.append(current)
    return result


def check_notes(html: Path) -> None:
    """Every slide has speaker notes, except in the NOTES_PENDING sections."""
    text = html.read_text(encoding="utf-8", errors="replace")
    with_notes = {int(i) for i, body in NOTE.findall(text) if TAG.sub("", body).strip()}
    sections = slide_sections(text)
    missing = [n for n, section in enumerate(sections)
               if n not in with_notes and section not in NOTES_PENDING]
    if missing:
        raise CheckFailed(f"{html.name}: slide(s) {[n + 1 for n in missing]} have no speaker notes "
                          "(an HTML comment on the slide that is not a directive)")
    for pending in NOTES_PENDING:
        slides = [n for n, section in enumerate(sections) if section == pending]
        if slides and all(n in with_notes for n in slides):
            print(f"notes: every slide of '{pending}' has notes now: "
                  "remove it from NOTES_PENDING in tests/slides/check_render.py")
    print(f"notes: {html.name}: {len(with_notes)} of {len(sections)} slides have speaker notes")


# ---------------------------------------------------------------- glyphs


def check_glyphs(decks: list[Path]) -> None:
    """Every non-ASCII character of the decks has a glyph in some installed font."""
    if shutil.which("fc-list") is None:
        raise MissingTool("fc-list not found: apt-get install fontconfig")
    used: dict[str, str] = {}
    for deck in decks:
        for number, line in enumerate(deck.read_text(encoding="utf-8").splitlines(), start=1):
            for char in line:
                if ord(char) > 127 and not char.isspace():
                    used.setdefault(char, f"{deck.name}:{number}")
    missing = []
    for char, where in sorted(used.items()):
        fonts = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if not fonts:
            missing.append(f"U+{ord(char):04X} {char!r} ({where})")
    if missing:
        raise CheckFailed("no installed font has a glyph for: " + ", ".join(missing)
                          + " (it would render as a box; use another character or install a font)")
    print(f"glyphs: all {len(used)} non-ASCII characters have a font")


# ---------------------------------------------------------------- overflow

# Runs in the bare-template copy: every slide is laid out at once. Reports,
# per slide, each element that leaves the padding box, each code block or
# table wider than itself, and each code block Marp shrank below 80 % to
# make it fit (Marp's auto-scaling hides a too-wide line that way). Header and footer live in the padding on purpose.
MEASURE = """<script>
const MIN_FIT = 0.8;
// After images, fonts and Marp's custom elements have settled.
const measure = () => {
  const report = [];
  document.querySelectorAll('section').forEach((section, index) => {
    const box = section.getBoundingClientRect();
    const style = getComputedStyle(section);
    const scale = box.width / section.offsetWidth;
    const inner = {
      top: box.top + parseFloat(style.paddingTop) * scale - 2,
      bottom: box.bottom - parseFloat(style.paddingBottom) * scale + 2,
      left: box.left + parseFloat(style.paddingLeft) * scale - 2,
      right: box.right - parseFloat(style.paddingRight) * scale + 2,
    };
    for (const child of section.children) {
      if (['HEADER', 'FOOTER', 'STYLE', 'SCRIPT'].includes(child.tagName)) continue;
      const r = child.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const what = child.tagName.toLowerCase() + ' "' +
                   child.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
      if (r.bottom > inner.bottom) report.push([index + 1, what + ' ends ' +
          Math.round((r.bottom - inner.bottom) / scale) + ' px below the slide']);
      if (r.top < inner.top) report.push([index + 1, what + ' starts ' +
          Math.round((inner.top - r.top) / scale) + ' px above the slide']);
      if (r.right > inner.right) report.push([index + 1, what + ' ends ' +
          Math.round((r.right - inner.right) / scale) + ' px right of the slide']);
    }
    section.querySelectorAll('marp-pre > code, pre > code').forEach((code) => {
      // Marp shrinks a code block that is too wide until it fits: report
      // one shrunk below MIN_FIT, its text too small to read from the back.
      const fit = code.getBoundingClientRect().width / (code.offsetWidth * scale);
      if (code.offsetWidth > 0 && fit < MIN_FIT) report.push([index + 1, 'code "' +
          code.textContent.trim().slice(0, 40) + '" is shrunk to ' + Math.round(fit * 100) +
          '% to fit the slide']);
    });
    section.querySelectorAll('pre, table').forEach((el) => {
      if (el.scrollWidth > el.clientWidth + 1) report.push([index + 1,
          el.tagName.toLowerCase() + ' "' + el.textContent.trim().slice(0, 40) +
          '" is ' + (el.scrollWidth - el.clientWidth) + ' px wider than its box']);
    });
  });
  const out = document.createElement('pre');
  out.id = 'kit-overflow';
  out.textContent = 'KIT-OVERFLOW ' + JSON.stringify(report) + ' END';
  document.body.appendChild(out);
};
window.addEventListener('load', () => document.fonts.ready.then(() => setTimeout(measure, 500)));
</script>"""


def check_overflow(chromium: str, bare: Path, profile: Path, timeout: float) -> None:
    """Fail when any slide of the bare-template build has content outside its box."""
    text = bare.read_text(encoding="utf-8", errors="replace")
    at = re.search(r"</body\s*>", text, re.I)
    copy = bare.parent / f"{bare.stem}.measure.html"
    copy.write_text(text[:at.start()] + MEASURE + text[at.start():] if at else text + MEASURE,
                    encoding="utf-8")
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
           "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.communicate()
        raise CheckFailed(f"chromium did not measure {copy.name} within {timeout:g} s")
    finally:
        _kill_group(proc.pid)
    found = re.search(r"KIT-OVERFLOW (\[.*?\]) END", out.decode(errors="replace"), re.S)
    if not found:
        tail = err.decode(errors="replace").strip().splitlines()[-10:]
        raise CheckFailed(f"chromium printed no measurement of {copy.name}:\n" + "\n".join(tail))

    report = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")
                        .replace("&lt;", "<").replace("&gt;", ">"))
    if report:
        lines = "\n".join(f"  slide {n}: {what}" for n, what in report)
        raise CheckFailed(f"{bare.name}: content does not fit its slide:\n{lines}")
    slides = len(re.findall(r"<section\b", text))
    print(f"overflow: {bare.name}: all {slides} slides fit")


# ---------------------------------------------------------------- main


def parse_slides(text: str) -> list[int]:
    try:
        slides = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--slides wants numbers like 1,2,3, got {text!r}")
    if not slides or min(slides) < 1:
        raise argparse.ArgumentTypeError("--slides wants slide numbers from 1 up")
    return slides


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path,
                        help="directory for the built HTML and the screenshots")
    parser.add_argument("--decks", type=Path, default=DECKS,
                        help="folder of Marp decks to check (default: slides/decks)")
    parser.add_argument("--html", type=Path,
                        help="check this HTML file instead of building the decks")
    parser.add_argument("--slides", type=parse_slides, default=[1, 2, 3],
                        help="slide numbers to render, comma-separated (default 1,2,3)")
    parser.add_argument("--min-ink", type=float, default=0.005,
                        help="least fraction of non-background pixels per slide (default 0.005)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds allowed per browser run and for the build (default 60)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # keep progress and errors in order under CTest

    started = time.monotonic()
    out = args.out.resolve()
    try:
        if args.html:
            html = args.html.resolve()
            if not html.is_file():
                raise CheckFailed(f"no such HTML file: {html}")
            htmls = [html]
        else:
            htmls = build_decks(out, args.timeout, args.decks.resolve())
        chromium = find_chromium()
        shots = out / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        checked = 0
        with tempfile.TemporaryDirectory(prefix="kit-chromium-") as profile:
            for html in htmls:
                check_html(html, args.slides)
                page = render_copy(html, shots)
                previous = None
                for n in args.slides:
                    png = shots / f"{html.stem}-{n}.png"
                    t0 = time.monotonic()
                    screenshot(chromium, f"{page.as_uri()}#{n}", png, Path(profile), args.timeout)
                    width, height, rows = decode_png(png)
                    fraction, colour = ink(rows)
                    print(f"render: {html.name}#{n}: {width}x{height}, "
                          f"{fraction:.1%} of pixels differ from background rgb{colour} "
                          f"({time.monotonic() - t0:.1f} s) -> {png}")
                    if fraction <= args.min_ink:
                        raise CheckFailed(f"slide {n} of {html.name} looks blank: only {fraction:.2%} "
                                          f"of pixels differ from rgb{colour} (need > {args.min_ink:.2%}); "
                                          f"see {png}")
                    if previous is not None:
                        pn, prows = previous
                        changed = difference(prows, rows)
                        if changed <= args.min_ink:
                            raise CheckFailed(f"slides {pn} and {n} of {html.name} render the same "
                                              f"({changed:.2%} of pixels differ): does #N navigation work?")
                    previous = (n, rows)
                    checked += 1
                check_notes(html)
            if not args.html:
                check_glyphs(sorted(args.decks.resolve().glob("*.md")))
                for bare in build_decks(out / "bare", args.timeout, args.decks.resolve(),
                                        template="bare"):
                    check_overflow(chromium, bare, Path(profile), args.timeout)
    except MissingTool as e:
        print(f"check_render: missing tool: {e}", file=sys.stderr)
        return 2
    except CheckFailed as e:
        print(f"check_render: FAILED: {e}", file=sys.stderr)
        return 1
    print(f"check_render: OK: {checked} slide(s) in {len(htmls)} deck(s) rendered and not blank "
          f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
