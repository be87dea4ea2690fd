#!/usr/bin/env python3
"""plot_timeline: draw fetch traces as a Gantt image, for lessons and slides.

A fetch program run with --trace FILE writes a Chrome Trace Event Format file
(the format is in the kit's conventions): one complete event per target
("ph": "X", "cat": "target", on lane tid = position on the command line + 1,
args.result "ok 200 1234" or "fail timeout"), instant milestones on the same
lane ("connect-start" ... "first-byte", "done" or "failed"), and from stage 1
on one "wait" event per select() call on lane 0, the loop's lane.

This tool draws one panel per trace, all on the same time axis (ms since the
program started), so two runs of the same scenario can be compared by eye:

    row per target     a bar from start to end: green = ok, red and hatched =
                       failed, with the outcome written after it; dots for the
                       milestones, a diamond for the first byte
    "loop" row         grey: the loop asleep in select() (or poll...), a tick each time it
                       wakes up; orange: the loop busy in a handler for a
                       noticeable time (a stalled handler shows up here)

    python3 tools/plot_timeline.py --out timeline.png \\
        --title "stage 0: blocking" build/dev/demo/00-blocking.trace.json \\
        --title "stage 1: select loop" build/dev/demo/01-select.trace.json \\
        --labels "900 ms server,600 ms server,300 ms server,silent server"

--title applies to the trace file after it (a panel without a title is named
after its file); --labels renames the target rows, in command-line order, in
every panel (default: the URL without "http://"). Needs matplotlib (Debian:
python3-matplotlib, run with /usr/bin/python3); draws off-screen (Agg).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed: it only ever writes files

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Colours that stay apart on a washed-out projector and for red-green colour
# blindness (failed bars are also hatched and say "fail" in words).
OK_COLOR = "#2e9d4a"
FAIL_COLOR = "#d1352b"
WAIT_COLOR = "#b8b8b8"
WAKE_COLOR = "#555555"
BUSY_COLOR = "#f28e1c"
MILESTONE_COLOR = "#1a1a1a"
FIRST_BYTE_COLOR = "#1f5fbf"

FONT_SIZE = 15
ROW_HEIGHT_IN = 0.62  # inches per row: thick bars, readable labels from the back row
PANEL_EXTRA_IN = 1.0  # title and breathing room per panel
BUSY_MIN_FRACTION = 0.02  # a gap between waits this long (of the axis) is shown as busy


@dataclass
class Target:
    """One target of a run: its span and milestones, times in ms since program start."""

    lane: int  # tid: position on the command line + 1
    url: str
    start_ms: float
    end_ms: float
    result: str  # "ok 200 1234" or "fail timeout"
    milestones: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result.startswith("ok")

    def outcome(self) -> str:
        """'ok 0.91 s' or 'fail timeout 1.50 s'."""
        words = self.result.split()
        what = words[0] if self.ok or len(words) < 2 else " ".join(words[:2])
        return f"{what or '?'} {self.end_ms / 1000:.2f} s"


@dataclass
class Timeline:
    """One trace, ready to draw."""

    title: str
    targets: list[Target]
    waits: list[tuple[float, float]]  # (start_ms, end_ms) of each select() call

    def end_ms(self) -> float:
        ends = [t.end_ms for t in self.targets] + [end for _, end in self.waits]
        return max(ends, default=0.0)


def read_timeline(path: Path, title: str | None = None) -> Timeline:
    """Parse one trace file (Chrome Trace Event Format, as the kit writes it)."""
    trace = json.loads(Path(path).read_text(encoding="utf-8"))
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    targets: dict[int, Target] = {}
    milestones: dict[int, dict[str, float]] = {}
    waits = []
    for event in events:
        kind, cat = event.get("ph"), event.get("cat")
        if kind == "X" and cat == "target":
            start = event["ts"] / 1000
            targets[event["tid"]] = Target(
                lane=event["tid"], url=event.get("name", f"target {event['tid']}"),
                start_ms=start, end_ms=start + event.get("dur", 0) / 1000,
                result=str(event.get("args", {}).get("result", "")))
        elif kind == "i" and cat == "milestone":
            milestones.setdefault(event["tid"], {}).setdefault(event["name"], event["ts"] / 1000)
        elif kind == "X" and cat == "loop" and event.get("name") == "wait":
            waits.append((event["ts"] / 1000, (event["ts"] + event.get("dur", 0)) / 1000))
    for lane, marks in milestones.items():
        if lane in targets:
            targets[lane].milestones = marks
    return Timeline(title or Path(path).stem, [targets[k] for k in sorted(targets)],
                    sorted(waits))


def short_url(url: str) -> str:
    """'http://127.0.0.1:8080/' -> '127.0.0.1:8080', keeping a path other than '/'."""
    text = url.removeprefix("http://")
    return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def busy_gaps(waits: list[tuple[float, float]], min_ms: float) -> list[tuple[float, float]]:
    """Stretches between two waits at least min_ms long: the loop ran handlers instead of
    waiting (a stalled handler, or heavy work)."""
    return [(end, start) for (_, end), (start, _) in zip(waits, waits[1:]) if start - end >= min_ms]


def draw_panel(ax, timeline: Timeline, labels: list[str] | None, x_max: float) -> None:
    rows = []  # (label, y) top to bottom
    has_loop = bool(timeline.waits)
    count = len(timeline.targets) + (1 if has_loop else 0)
    bar_height = 0.6
    for index, target in enumerate(timeline.targets):
        y = count - 1 - index
        label = labels[index] if labels and index < len(labels) else short_url(target.url)
        rows.append((label, y))
        width = max(target.end_ms - target.start_ms, x_max * 0.002)  # never invisible
        ax.barh(y, width, left=target.start_ms, height=bar_height,
                color=OK_COLOR if target.ok else FAIL_COLOR,
                hatch=None if target.ok else "//", edgecolor="white" if not target.ok else None,
                linewidth=0)
        ax.text(target.end_ms + x_max * 0.008, y, target.outcome(), va="center", ha="left",
                fontsize=FONT_SIZE - 1, color=OK_COLOR if target.ok else FAIL_COLOR,
                fontweight="bold")
        for name, ms in target.milestones.items():
            if name == "first-byte":
                ax.plot(ms, y, marker="D", markersize=10, color=FIRST_BYTE_COLOR,
                        markeredgecolor="white", markeredgewidth=1.2, zorder=4)
            else:
                ax.plot(ms, y, marker="o", markersize=6, color=MILESTONE_COLOR,
                        markeredgecolor="white", markeredgewidth=0.8, zorder=3)
    if has_loop:
        y = 0  # the loop's row is the bottom one
        rows.append(("loop", y))
        ax.broken_barh([(start, end - start) for start, end in timeline.waits],
                       (y - 0.18, 0.36), color=WAIT_COLOR, linewidth=0)
        ax.broken_barh([(start, end - start) for start, end in
                        busy_gaps(timeline.waits, x_max * BUSY_MIN_FRACTION)],
                       (y - bar_height / 2, bar_height), color=BUSY_COLOR, linewidth=0)
        ax.vlines([end for _, end in timeline.waits], y - 0.28, y + 0.28,
                  color=WAKE_COLOR, linewidth=0.9)
    ax.set_yticks([y for _, y in rows], [label for label, _ in rows], fontsize=FONT_SIZE)
    ax.set_ylim(-0.6, count - 0.4)
    ax.set_title(f"{timeline.title}  —  total {timeline.end_ms() / 1000:.2f} s", loc="left",
                 fontsize=FONT_SIZE + 2, fontweight="bold")
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def legend_items(timelines: list[Timeline]) -> list:
    targets = [target for timeline in timelines for target in timeline.targets]
    items = []
    if any(target.ok for target in targets):
        items.append(Patch(color=OK_COLOR, label="ok"))
    if not all(target.ok for target in targets):
        items.append(Patch(facecolor=FAIL_COLOR, hatch="//", edgecolor="white", label="failed"))
    items += [Line2D([], [], marker="o", color=MILESTONE_COLOR, linestyle="", markersize=6,
                     label="milestone"),
              Line2D([], [], marker="D", color=FIRST_BYTE_COLOR, linestyle="", markersize=9,
                     label="first byte")]
    if any(t.waits for t in timelines):
        items += [Patch(color=WAIT_COLOR, label="loop waits for I/O"),
                  Line2D([], [], marker="|", color=WAKE_COLOR, linestyle="", markersize=12,
                         label="loop wakes up")]
    x_max = max(t.end_ms() for t in timelines)
    if any(busy_gaps(t.waits, x_max * BUSY_MIN_FRACTION) for t in timelines):
        items.append(Patch(color=BUSY_COLOR, label="loop busy in a handler"))
    return items


def plot(timelines: list[Timeline], out: Path, labels: list[str] | None = None,
         width_in: float = 16, dpi: int = 110) -> None:
    """Draw the timelines as stacked panels sharing one time axis; write out (PNG, SVG...)."""
    if not timelines:
        raise ValueError("no trace to draw")
    plt.rcParams.update({"font.size": FONT_SIZE, "font.family": "DejaVu Sans"})
    heights = [len(t.targets) + (1 if t.waits else 0) for t in timelines]
    fig_height = sum(h * ROW_HEIGHT_IN + PANEL_EXTRA_IN for h in heights) + 1.4
    fig, axes = plt.subplots(len(timelines), 1, sharex=True, squeeze=False,
                             figsize=(width_in, fig_height),
                             gridspec_kw={"height_ratios": [h + 1.2 for h in heights]})
    x_max = max(t.end_ms() for t in timelines)
    for ax, timeline in zip(axes[:, 0], timelines):
        draw_panel(ax, timeline, labels, x_max)
    last = axes[-1, 0]
    last.set_xlim(0, x_max * 1.16)  # room for the outcome written after the longest bar
    last.set_xlabel("ms since the program started", fontsize=FONT_SIZE)
    for ax in axes[:, 0]:
        ax.tick_params(axis="x", labelbottom=True, labelsize=FONT_SIZE - 1)
    fig.legend(handles=legend_items(timelines), loc="lower center", ncol=7, frameon=False,
               fontsize=FONT_SIZE - 2, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.05, 1, 1), h_pad=1.5)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


VALUE_OPTIONS = ("--out", "--labels", "--width", "--dpi")


def split_panels(argv: list[str]) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Take the trace files, each with the --title just before it, out of argv, in order.

    argparse alone cannot pair an option with the positional after it, so the
    pairing is done here and argparse checks everything else.
    """
    rest, panels, title = [], [], None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--title" and i + 1 < len(argv):
            if title is not None:
                rest += ["--title", title]  # two titles in a row: let argparse complain
            title, i = argv[i + 1], i + 2
        elif arg.startswith("--title="):
            title, i = arg.split("=", 1)[1], i + 1
        elif arg in VALUE_OPTIONS and i + 1 < len(argv):
            rest += argv[i:i + 2]
            i += 2
        elif arg.startswith("-") and arg != "-":
            rest.append(arg)
            i += 1
        else:
            panels.append((arg, title))
            title, i = None, i + 1
    if title is not None:
        rest += ["--title", title]
    return rest, panels


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[tuple[Path, str | None]]]:
    parser = argparse.ArgumentParser(
        prog="plot_timeline.py",
        usage="%(prog)s --out IMAGE [--labels A,B,...] [--title TITLE] TRACE.json "
              "[[--title TITLE] TRACE.json ...]",
        description="Draw fetch traces (--trace FILE) as a Gantt image, one panel per trace.")
    parser.add_argument("--out", type=Path, required=True, help="the image to write (.png, .svg)")
    parser.add_argument("--title", help="the title of the panel of the trace file right after it")
    parser.add_argument("--labels", help="comma-separated row names, in command-line order")
    parser.add_argument("--width", type=float, default=16, help="image width in inches (16)")
    parser.add_argument("--dpi", type=int, default=110, help="dots per inch (110)")
    rest, panels = split_panels(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(rest)
    if args.title is not None:
        parser.error(f"--title {args.title!r} has no trace file right after it")
    if not panels:
        parser.error("no trace file given")
    return args, [(Path(path), title) for path, title in panels]


def main(argv: list[str] | None = None) -> int:
    args, panels = parse_args(argv)
    try:
        timelines = [read_timeline(path, title) for path, title in panels]
    except (OSError, ValueError, KeyError) as error:
        print(f"plot_timeline: cannot read a trace: {error}", file=sys.stderr)
        return 1
    labels = [label.strip() for label in args.labels.split(",")] if args.labels else None
    plot(timelines, args.out, labels, width_in=args.width, dpi=args.dpi)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
