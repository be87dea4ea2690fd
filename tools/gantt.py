"""gantt: draw a fetch program's trace as a text Gantt chart.

A fetch program run with --trace FILE writes a Chrome Trace Event Format file
(the format is in the kit's conventions): one complete event ("ph": "X",
"cat": "target") per URL, on lane tid = position on the command line + 1,
and instant milestones such as "first-byte" on the same lane. This module
turns such a trace into rows (parse_trace) and rows into lines of text
(render_chart), one row per URL:

    900 ms server │██████████◆                          │ ok 0.91 s
    600 ms server │           ██████◆                   │ ok 1.52 s
    silent server │                  ░░░░░░░░░░░░░░░░░  │ fail timeout 3.31 s
                  ├─────────┬─────────┬─────────┬───────┤
                  0 s       1 s       2 s       3 s

A bar covers the time the program spent on that URL (█ when it ended well,
░ when it failed); ◆ marks the first byte of the answer. Times map to
character cells linearly; the caller chooses the time at the right edge
(scale_ms) so that two charts drawn with the same scale can be compared by
eye. Used by tools/demo.py; standard library only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

MIN_WIDTH = 60  # columns of a whole chart line
MIN_CELLS = 20  # columns of the bars
MIN_LABEL = 8  # longer labels are shortened to fit the width


@dataclass
class Row:
    """One URL of a fetch run, times in milliseconds since the program started."""

    lane: int  # tid in the trace: position on the command line + 1
    label: str  # the URL (callers may put a friendlier name here)
    start_ms: float
    end_ms: float
    first_byte_ms: float | None
    result: str  # "ok 200 1234" or "fail timeout", from the trace

    @property
    def ok(self) -> bool:
        return self.result.startswith("ok")


@dataclass(frozen=True)
class Style:
    """The characters a chart is drawn with."""

    ok_bar: str
    fail_bar: str
    first_byte: str
    edge: str
    axis: str
    tick: str
    axis_left: str
    axis_right: str


UNICODE = Style("█", "░", "◆", "│", "─", "┬", "├", "┤")
ASCII = Style("#", ".", "*", "|", "-", "+", "+", "+")

COLORS = {"ok": "\033[32m", "fail": "\033[31m", "mark": "\033[33m", "reset": "\033[0m"}


def load_trace(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def parse_trace(trace: dict) -> list[Row]:
    """The trace's targets as rows, in command-line order."""
    events = trace.get("traceEvents", [])
    first_bytes: dict[int, float] = {}
    for event in events:
        if event.get("ph") == "i" and event.get("name") == "first-byte":
            lane = event.get("tid")
            first_bytes.setdefault(lane, event["ts"] / 1000.0)
    rows = []
    for event in events:
        if event.get("ph") == "X" and event.get("cat") == "target":
            lane = event["tid"]
            start = event["ts"] / 1000.0
            rows.append(Row(
                lane=lane,
                label=event.get("name", f"target {lane}"),
                start_ms=start,
                end_ms=start + event.get("dur", 0) / 1000.0,
                first_byte_ms=first_bytes.get(lane),
                result=str(event.get("args", {}).get("result", "")),
            ))
    return sorted(rows, key=lambda row: row.lane)


def end_of(rows: list[Row]) -> float:
    """When the last target ended (ms)."""
    return max((row.end_ms for row in rows), default=0.0)


def terminal_width() -> int:
    return max(MIN_WIDTH, shutil.get_terminal_size((100, 24)).columns)


def to_cell(time_ms: float, scale_ms: float, cells: int) -> int:
    """The character cell where a time falls: 0 .. cells (cells = the right edge)."""
    cell = int(time_ms / scale_ms * cells + 0.5)
    return min(max(cell, 0), cells)


def bar_cells(row: Row, scale_ms: float, cells: int) -> tuple[int, int, int | None]:
    """(first cell, one past the last cell, first-byte cell or None) of a row's bar.

    Every bar is at least one cell wide, and the first-byte mark lies inside it.
    """
    start = min(to_cell(row.start_ms, scale_ms, cells), cells - 1)
    end = max(start + 1, to_cell(row.end_ms, scale_ms, cells))
    mark = None
    if row.first_byte_ms is not None:
        mark = min(max(to_cell(row.first_byte_ms, scale_ms, cells), start), end - 1)
    return start, end, mark


def format_seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s"


def outcome(row: Row) -> str:
    """'ok 0.91 s' or 'fail timeout 1.50 s'."""
    words = row.result.split()
    if row.ok or not words:
        return f"{words[0] if words else '?'} {format_seconds(row.end_ms)}"
    return f"{' '.join(words[:2])} {format_seconds(row.end_ms)}"


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def paint(text: str, kind: str, color: bool) -> str:
    return f"{COLORS[kind]}{text}{COLORS['reset']}" if color and text.strip() else text


def draw_bar(row: Row, scale_ms: float, cells: int, style: Style, color: bool) -> str:
    start, end, mark = bar_cells(row, scale_ms, cells)
    kind = "ok" if row.ok else "fail"
    fill = style.ok_bar if row.ok else style.fail_bar
    if mark is None:
        body = paint(fill * (end - start), kind, color)
    else:
        body = (paint(fill * (mark - start), kind, color)
                + paint(style.first_byte, "mark", color)
                + paint(fill * (end - mark - 1), kind, color))
    return " " * start + body + " " * (cells - end)


def tick_step(scale_ms: float, cells: int, min_gap: int = 9) -> float:
    """A round step (ms) between axis labels, at least min_gap cells apart."""
    for step in (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 30000, 60000):
        if step / scale_ms * cells >= min_gap:
            return step
    return scale_ms


def round_up_scale(scale_ms: float, cells: int) -> float:
    """The scale rounded up to a whole number of axis steps, so the right edge has a label."""
    step = tick_step(scale_ms, cells)
    steps = -(-scale_ms // step)  # ceiling division
    return max(steps, 1) * step


def tick_label(ms: float) -> str:
    seconds = ms / 1000
    return f"{seconds:g} s"


def draw_axis(indent: int, scale_ms: float, cells: int, style: Style) -> list[str]:
    step = tick_step(scale_ms, cells)
    ticks = []
    time = 0.0
    while time <= scale_ms + 1e-9:
        ticks.append((to_cell(time, scale_ms, cells), tick_label(time)))
        time += step
    marks = [style.axis] * cells
    for cell, _ in ticks:
        if 0 < cell < cells:
            marks[cell] = style.tick
    line = " " * indent + style.axis_left + "".join(marks) + style.axis_right
    labels = ""
    for cell, text in ticks:
        column = indent + 1 + cell if cell > 0 else indent
        if column > len(labels):  # skip a label that would overlap the previous one
            labels = labels.ljust(column) + text
    return [line, labels.rstrip()]


def render_chart(rows: list[Row], scale_ms: float, width: int | None = None,
                 style: Style = UNICODE, color: bool = False, outcome_width: int = 0) -> list[str]:
    """The rows as chart lines (bars, then the time axis), at most width columns.

    Charts to be compared should get the same outcome_width (the longest outcome
    of them all), so that their bars get the same columns.
    """
    width = max(MIN_WIDTH, width or terminal_width())
    outcome_width = max([outcome_width] + [len(outcome(row)) for row in rows])
    room_for_labels = max(MIN_LABEL, width - outcome_width - 4 - MIN_CELLS)  # 4 = " │" + "│ "
    label_width = min(max((len(row.label) for row in rows), default=0), room_for_labels)
    cells = max(MIN_CELLS, width - label_width - outcome_width - 4)
    scale_ms = round_up_scale(max(scale_ms, end_of(rows), 1.0), cells)
    lines = []
    for row in rows:
        bar = draw_bar(row, scale_ms, cells, style, color)
        result = paint(outcome(row), "ok" if row.ok else "fail", color)
        label = shorten(row.label, label_width)
        lines.append(f"{label:>{label_width}} {style.edge}{bar}{style.edge} {result}")
    lines.extend(draw_axis(label_width + 1, scale_ms, cells, style))
    return lines


def legend(style: Style = UNICODE) -> str:
    return (f"{style.ok_bar} fetching   {style.first_byte} first byte   "
            f"{style.fail_bar} failed (waited in vain)")
