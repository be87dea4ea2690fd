#!/usr/bin/env python3
"""make_concept_images: draw the lessons' conceptual figures from code.

Unlike the timeline images (tools/make_lesson_images.py), which come from
real runs, these are diagrams: they show an idea, not a measurement, so
the same code draws the same bytes every time. tests/lessons checks that
the committed images are exactly what this program draws.

    lessons/images/concept-calls.png        lesson 0: the calls of one fetch, and which wait
    lessons/images/concept-loop-turn.png    lesson 1: one turn of a select() loop
    lessons/images/concept-run-turn.png     lesson 2: one turn of Loop::run()
    lessons/images/concept-epoll-lists.png  lesson 3: epoll's interest list and ready list
    lessons/images/concept-level-edge.png   lesson 3: level- against edge-triggered
    lessons/images/concept-knotes.png       lesson 4: two knotes per fd, one kevent() call
    lessons/images/concept-heap.png         lesson 5: a binary min-heap, tree and array
    lessons/images/concept-post.png         lesson 6: post() from a worker into the loop
    lessons/images/concept-serve.png        lesson 7: the service: one loop, a pool, answers posted back
    lessons/images/concept-parked.png       lesson 8: parked requests in the loop; a worker posts back

    /usr/bin/python3 tools/make_concept_images.py [--out-dir DIR]

Needs matplotlib (Debian: python3-matplotlib); draws off-screen (Agg).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib
import matplotlib.ft2font

matplotlib.use("Agg")  # no display needed: it only ever writes files

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# The timeline images' palette (tools/plot_timeline.py), so the figures of
# one lesson look like one family.
INK = "#1a1a1a"
BLUE = "#1f5fbf"
GREEN = "#2e9d4a"
ORANGE = "#f28e1c"
GREY = "#b8b8b8"
PALE = "#eef3fb"
FONT_SIZE = 15
DPI = 100

# Reproducible output: no timestamp in the PNG, a fixed font family
# (matplotlib ships DejaVu Sans), fixed hash salts. The same code draws the
# same bytes with the same matplotlib and FreeType; another version
# rasterises text a little differently, so the PNG says which drew it
# (tests/lessons/test_concept_images.py compares bytes only when they match).
DRAWN_WITH = (f"matplotlib {matplotlib.__version__}, "
              f"FreeType {matplotlib.ft2font.__freetype_version__}")
SAVE_METADATA = {"Software": None, "Comment": DRAWN_WITH}
plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "font.size": FONT_SIZE,
    "svg.hashsalt": "kit",
    "path.simplify": False,
})


def canvas(width_in: float, height_in: float, xlim: float, ylim: float):
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=DPI)
    ax.set_xlim(0, xlim)
    ax.set_ylim(0, ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def box(ax, x, y, w, h, text, face=PALE, edge=BLUE, size=FONT_SIZE, weight="normal"):
    """A rounded box centred on (x, y) with text in it."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0.02,rounding_size=0.15",
                                facecolor=face, edgecolor=edge, linewidth=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=INK,
            weight=weight, linespacing=1.3)


def arrow(ax, start, end, color=INK, style="-|>", rad=0.0, width=2.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=20,
                                 color=color, linewidth=width,
                                 connectionstyle=f"arc3,rad={rad}"))


def save(fig, path: Path) -> None:
    fig.savefig(path, metadata=SAVE_METADATA, facecolor="white")
    plt.close(fig)
    print(f"wrote {path}")


# ---------------------------------------------------------------- the figures


def loop_turn(path: Path) -> None:
    """Lesson 1: the three steps of one turn, in a cycle, around select()."""
    fig, ax = canvas(10, 5.2, 10, 5.2)
    steps = [
        (1.9, 2.6, "1. say what you\nwait for\n(build the fd_sets\nfrom interest())"),
        (5.0, 2.6, "2. wait\nselect(max_fd + 1,\n&readable, &writable,\nnullptr, &time_left)"),
        (8.1, 2.6, "3. dispatch\non_ready() for each\nconnection whose fd\nis in its set"),
    ]
    for x, y, text in steps:
        box(ax, x, y, 2.8, 2.0, text, size=14)
    arrow(ax, (3.3, 2.6), (3.6, 2.6))
    arrow(ax, (6.4, 2.6), (6.7, 2.6))
    arrow(ax, (8.1, 1.6), (1.9, 1.6), rad=-0.35, color=BLUE)
    ax.text(5.0, 0.25, "next turn: the sets were overwritten, so build them again",
            ha="center", fontsize=13, color=BLUE)
    ax.text(5.0, 4.4, "the only place the program waits", ha="center", fontsize=13,
            color=ORANGE, weight="bold")
    arrow(ax, (5.0, 4.2), (5.0, 3.65), color=ORANGE)
    ax.text(0.3, 4.9, "one turn of the loop", fontsize=16, weight="bold", color=INK)
    save(fig, path)


def run_turn(path: Path) -> None:
    """Lesson 2: the five steps of Loop::run() and who takes part in each."""
    fig, ax = canvas(12, 4.6, 12, 4.6)
    steps = [
        (1.2, "1. prepare", "sources:\ntime_to_next()"),
        (3.6, "2. alive?", "watches or\na time to wait"),
        (6.0, "3. wait", "backend:\nwait(timeout)"),
        (8.4, "4. dispatch\nI/O", "callbacks of\nready watches"),
        (10.8, "5. dispatch\nsources", "sources:\ndispatch(now)"),
    ]
    for x, title, detail in steps:
        box(ax, x, 2.7, 2.1, 1.3, title, weight="bold", size=14)
        ax.text(x, 1.45, detail, ha="center", va="center", fontsize=12, color=INK)
    for left, right in zip(steps, steps[1:]):
        arrow(ax, (left[0] + 1.05, 2.7), (right[0] - 1.05, 2.7))
    arrow(ax, (10.8, 3.35), (1.2, 3.35), rad=0.12, color=BLUE)
    ax.text(6.0, 3.75, "until stop(), or nothing is left", ha="center", va="center",
            fontsize=13, color=BLUE)
    ax.text(3.6, 0.45, "no: run() returns", ha="center", fontsize=12, color=ORANGE)
    arrow(ax, (3.6, 1.1), (3.6, 0.65), color=ORANGE)
    ax.text(8.4, 0.45, "stale entries skipped", ha="center", fontsize=12, color=GREEN)
    save(fig, path)


def epoll_lists(path: Path) -> None:
    """Lesson 3: the interest list in the kernel, the ready list, and who moves what."""
    fig, ax = canvas(12, 5.6, 12, 5.6)
    # The kernel's side.
    ax.add_patch(FancyBboxPatch((3.4, 0.3), 8.3, 4.9, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor="#f7f7f7", edgecolor=GREY, linewidth=2))
    ax.text(7.55, 4.85, "kernel: the epoll instance (epfd)", ha="center", fontsize=14,
            color="#555555")
    ax.text(5.35, 4.25, "interest list", ha="center", fontsize=14, weight="bold")
    ax.text(9.75, 4.25, "ready list", ha="center", fontsize=14, weight="bold")
    fds = [3, 4, 5, 6, 7, 8]
    ready = {5, 8}
    for i, fd in enumerate(fds):
        y = 3.65 - i * 0.42
        colour = "#d9ecd9" if fd in ready else "white"
        ax.add_patch(FancyBboxPatch((4.35, y - 0.18), 2.0, 0.36, boxstyle="square,pad=0",
                                    facecolor=colour, edgecolor=INK, linewidth=1))
        ax.text(5.35, y, f"fd {fd}  IN", ha="center", va="center", fontsize=12)
    for j, fd in enumerate(sorted(ready)):
        y = 3.65 - j * 0.42
        ax.add_patch(FancyBboxPatch((8.75, y - 0.18), 2.0, 0.36, boxstyle="square,pad=0",
                                    facecolor="#d9ecd9", edgecolor=GREEN, linewidth=1.5))
        ax.text(9.75, y, f"fd {fd}  IN", ha="center", va="center", fontsize=12)
        src_y = 3.65 - fds.index(fd) * 0.42
        arrow(ax, (6.4, src_y), (8.7, y), color=GREEN, width=1.5)
    ax.text(8.9, 2.05, "a packet arrives:\nthe kernel links\nthe entry", ha="center",
            va="center", fontsize=12, color=GREEN)
    # The program's side.
    box(ax, 1.5, 3.4, 2.6, 1.0, "epoll_ctl()\nADD / MOD / DEL", size=13)
    arrow(ax, (2.8, 3.4), (4.3, 3.4), color=BLUE)
    ax.text(1.5, 2.75, "one system call\nper change", ha="center", va="top", fontsize=12,
            color=BLUE)
    box(ax, 1.5, 0.9, 2.6, 1.0, "epoll_wait()\ncopies out", size=13)
    ax.plot([10.5, 10.5], [3.0, 0.9], color=ORANGE, linewidth=2)
    arrow(ax, (10.5, 0.9), (2.85, 0.9), color=ORANGE)
    ax.text(6.6, 0.55, "O(ready), not O(watched)", ha="center", fontsize=13, color=ORANGE,
            weight="bold")
    save(fig, path)


def level_edge(path: Path) -> None:
    """Lesson 3: bytes in a socket buffer over time, and the reports of each mode."""
    fig, axes = plt.subplots(3, 1, figsize=(11, 5.6), dpi=DPI, sharex=True,
                             gridspec_kw={"height_ratios": [2.2, 1, 1]})
    # A story: 100 bytes arrive at t=1; the callback reads 40 per wait
    # (t=2, 3); 100 more arrive at t=6; the callback reads them all at t=7.
    times = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    buffered = [0, 100, 60, 20, 20, 20, 120, 0, 0, 0]
    ax = axes[0]
    ax.step(times, buffered, where="post", color=BLUE, linewidth=2.5)
    ax.fill_between(times, buffered, step="post", color=PALE)
    ax.set_ylabel("bytes\nunread", fontsize=13)
    ax.set_ylim(0, 140)
    ax.set_yticks([0, 50, 100])
    ax.annotate("100 bytes arrive", (1, 100), (1.3, 125), fontsize=12,
                arrowprops={"arrowstyle": "->", "color": INK})
    ax.annotate("100 more arrive", (6, 120), (4.3, 125), fontsize=12,
                arrowprops={"arrowstyle": "->", "color": INK})
    ax.text(3.2, 40, "20 bytes left behind", fontsize=12, color=ORANGE)
    waits = [1, 2, 3, 4, 5, 6, 7, 8]
    level = [t for t in waits if buffered[t] > 0]
    edge = [1, 6]
    for row, (reports, label, colour) in enumerate(
            [(level, "level-triggered:\nevery wait while\nbytes are there", GREEN),
             (edge, "edge-triggered:\nonly when new\nbytes arrive", ORANGE)], start=1):
        ax = axes[row]
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.scatter(reports, [0.5] * len(reports), s=160, marker="v", color=colour, zorder=3)
        for t in waits:
            ax.axvline(t, color=GREY, linewidth=0.8, linestyle=":")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=12)
    axes[2].set_xlabel("time: one dotted line per epoll_wait(); a triangle = fd reported",
                       fontsize=13)
    axes[2].set_xlim(0, 9)
    axes[2].set_xticks(times)
    for ax in axes:
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    save(fig, path)


HEAP_DEADLINES = (10, 20, 15, 40, 25, 30, 18, 50, 45)  # a valid min-heap; lesson 5 arms 12


def heap(path: Path, deadlines: tuple[int, ...] = HEAP_DEADLINES) -> None:
    """Lesson 5: one binary min-heap of deadlines, drawn as a tree above its array."""
    assert all(deadlines[(i - 1) // 2] <= deadlines[i] for i in range(1, len(deadlines)))
    fig, ax = canvas(12, 6.4, 12, 6.4)
    # Tree: level by level, each level spread over the width.
    positions = {}
    for i in range(len(deadlines)):
        level = (i + 1).bit_length() - 1
        first = (1 << level) - 1
        slots = 1 << level
        x = 0.6 + (i - first + 0.5) * (10.8 / slots)
        y = 5.6 - level * 1.15
        positions[i] = (x, y)
    for i in range(1, len(deadlines)):
        parent = (i - 1) // 2
        ax.plot(*zip(positions[parent], positions[i]), color=GREY, linewidth=2, zorder=1)
    for i, deadline in enumerate(deadlines):
        x, y = positions[i]
        face = "#d9ecd9" if i == 0 else PALE
        ax.add_patch(plt.Circle((x, y), 0.38, facecolor=face, edgecolor=BLUE, linewidth=2,
                                zorder=2))
        ax.text(x, y, f"{deadline}", ha="center", va="center", fontsize=14, zorder=3)
        ax.text(x + 0.45, y + 0.3, f"[{i}]", fontsize=11, color="#555555")
    ax.text(positions[0][0] + 0.6, positions[0][1] - 0.2, "root: the earliest deadline",
            fontsize=12, color=GREEN)
    # Array: the same entries in index order.
    cell = 0.95
    left = 6.0 - len(deadlines) * cell / 2
    y = 0.75
    for i, deadline in enumerate(deadlines):
        ax.add_patch(FancyBboxPatch((left + i * cell, y - 0.35), cell, 0.7, boxstyle="square,pad=0",
                                    facecolor="#d9ecd9" if i == 0 else "white",
                                    edgecolor=INK, linewidth=1.5))
        ax.text(left + (i + 0.5) * cell, y, f"{deadline}", ha="center", va="center",
                fontsize=14)
        ax.text(left + (i + 0.5) * cell, y - 0.6, f"{i}", ha="center", fontsize=11,
                color="#555555")
    # Entry 1's children are 3 and 4: show the index arithmetic once.
    for child in (3, 4):
        arrow(ax, (left + 1.5 * cell, y + 0.38), (left + (child + 0.5) * cell, y + 0.38),
              color=ORANGE, rad=-0.5, width=1.5)
    ax.text(left + len(deadlines) * cell + 0.2, y + 0.05,
            "children of i:\n2i+1 and 2i+2\nparent: (i-1)/2", fontsize=12, color=ORANGE,
            va="center")
    save(fig, path)


def calls(path: Path) -> None:
    """Lesson 0: the six calls of one blocking fetch; the ones that wait are orange."""
    fig, ax = canvas(12, 3.6, 12, 3.6)
    steps = [
        ("getaddrinfo()", "may ask DNS:\nseconds", True),
        ("socket()", "at once", False),
        ("connect()", "a round trip\n(the handshake)", True),
        ("send()", "while the send\nbuffer is full", True),
        ("recv()", "until the server\nanswers, or EOF", True),
        ("close()", "at once", False),
    ]
    for i, (name, detail, waits) in enumerate(steps):
        x = 1.0 + i * 2.0
        box(ax, x, 2.2, 1.8, 0.8, name, face="#fde7cf" if waits else PALE,
            edge=ORANGE if waits else BLUE, size=13)
        ax.text(x, 1.2, detail, ha="center", va="center", fontsize=11,
                color=ORANGE if waits else INK)
        if i:
            arrow(ax, (x - 1.1, 2.2), (x - 0.9, 2.2))
    ax.text(0.1, 3.25, "one target, one call after another: the thread sleeps in each orange one",
            fontsize=14, weight="bold", color=INK)
    ax.text(6.0, 0.3, "more targets: the same row again for each, and the waits add up",
            ha="center", fontsize=12, color=BLUE)
    save(fig, path)


def knotes(path: Path) -> None:
    """Lesson 4: one fd, two knotes; the changelist and the event list of one kevent()."""
    fig, ax = canvas(12, 5.0, 12, 5.0)
    box(ax, 1.6, 3.6, 2.8, 1.1, "modify(fd 7):\nnone -> read+write", size=13)
    ax.text(1.6, 2.45, "changelist\n{7, READ, EV_ADD}\n{7, WRITE, EV_ADD}", ha="center",
            va="center", fontsize=12, color=BLUE)
    arrow(ax, (3.1, 2.45), (4.4, 2.45), color=BLUE)
    ax.add_patch(FancyBboxPatch((4.5, 0.5), 3.6, 4.0, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor="#f7f7f7", edgecolor=GREY, linewidth=2))
    ax.text(6.3, 4.1, "kernel: the kqueue", ha="center", fontsize=13, color="#555555")
    for i, (filt, ready) in enumerate([("EVFILT_READ", True), ("EVFILT_WRITE", True)]):
        y = 3.2 - i * 0.9
        box(ax, 6.3, y, 3.0, 0.65, f"knote (7, {filt})", face="#d9ecd9" if ready else "white",
            edge=GREEN, size=12)
    ax.text(6.3, 1.0, "a knote = one (ident, filter)\npair, added and deleted alone",
            ha="center", va="center", fontsize=11, color=INK)
    arrow(ax, (8.2, 2.75), (9.2, 2.75), color=ORANGE)
    ax.text(10.5, 3.45, "event list\n{7, READ}\n{7, WRITE}", ha="center", va="center",
            fontsize=12, color=ORANGE)
    arrow(ax, (10.5, 2.6), (10.5, 1.75), color=ORANGE)
    box(ax, 10.5, 1.3, 2.6, 0.8, "merged: fd 7\nreadable, writable", size=12)
    ax.text(6.0, 0.05, "one kevent() call: the changes go in, the events come out",
            ha="center", fontsize=13, color=INK, weight="bold")
    save(fig, path)


def post(path: Path) -> None:
    """Lesson 6: a worker posts into the loop: the queue holds the work, the fd only wakes."""
    fig, ax = canvas(12, 5.0, 12, 5.0)
    for i, name in enumerate(["worker 1", "worker 2"]):
        box(ax, 1.3, 3.7 - i * 1.3, 2.0, 0.8, f"{name}\npost(fn)", size=12)
        arrow(ax, (2.35, 3.7 - i * 1.3), (3.9, 3.2 - i * 0.3), color=BLUE)
    box(ax, 5.2, 3.0, 2.4, 1.2, "queue (mutex)\nfn, fn, fn", size=13, edge=GREEN,
        face="#d9ecd9")
    ax.text(5.2, 1.95, "holds every handler:\nnothing is lost", ha="center", va="center",
            fontsize=11, color=GREEN)
    box(ax, 5.2, 0.75, 2.4, 0.8, "wake fd\n(eventfd / pipe)", size=12, edge=ORANGE,
        face="#fde7cf")
    arrow(ax, (2.35, 2.2), (3.95, 0.95), color=ORANGE)
    ax.text(1.2, 1.05, "write only if the\nloop may be asleep:\nwake-ups coalesce",
            ha="center", va="center", fontsize=11, color=ORANGE)
    box(ax, 9.7, 2.2, 3.6, 2.6,
        "loop thread\n1. wakes: fd readable\n2. drains the fd\n3. swaps the queue out\n"
        "4. runs each fn, unlocked", size=12)
    arrow(ax, (6.45, 0.75), (7.85, 1.4), color=ORANGE)
    arrow(ax, (6.45, 3.0), (7.85, 2.9), color=GREEN)
    ax.text(6.0, 4.65, "the only way another thread talks to the loop", ha="center",
            fontsize=14, weight="bold", color=INK)
    save(fig, path)


def serve(path: Path) -> None:
    """Lesson 7: the loop owns every socket; the pool only returns answers, by post()."""
    fig, ax = canvas(12, 5.4, 12, 5.4)
    for i in range(3):
        y = 3.9 - i * 1.25
        box(ax, 0.95, y, 1.5, 0.75, f"client {i + 1}", size=12)
        arrow(ax, (1.75, y), (3.05, 2.65 + (1 - i) * 0.5), color=INK, style="<|-|>")
    box(ax, 5.0, 2.65, 3.7, 3.3,
        "loop thread\n\naccept\nread + parse (context)\nasync app: /stats\n"
        "write the answer", size=12)
    ax.text(5.0, 0.55, "every socket, every timer:\nquick, never blocks", ha="center",
            va="center", fontsize=11, color=BLUE)
    for i in range(3):
        box(ax, 10.3, 3.85 - i * 1.2, 2.6, 0.8, f"worker {i + 1}\nsync app: may block",
            size=11, edge=GREEN, face="#d9ecd9")
    arrow(ax, (6.9, 3.35), (8.95, 3.35), color=GREEN)
    ax.text(7.9, 3.6, "offload(request)", ha="center", fontsize=11, color=GREEN)
    arrow(ax, (8.95, 1.95), (6.9, 1.95), color=ORANGE)
    ax.text(7.9, 1.55, "post(response)", ha="center", fontsize=11, color=ORANGE)
    ax.text(6.0, 5.05, "one loop owns the sockets; workers only return answers", ha="center",
            fontsize=14, weight="bold", color=INK)
    save(fig, path)


def parked(path: Path) -> None:
    """Lesson 8: parked requests wait in the loop thread; the slowbot's message comes by post()."""
    fig, ax = canvas(12, 5.6, 12, 5.6)
    box(ax, 4.3, 2.7, 5.6, 3.7, "", edge=BLUE)
    ax.text(4.3, 4.25, "loop thread: owns the chat", ha="center", va="center",
            fontsize=13, color=INK, weight="bold")
    for i in range(4):
        box(ax, 2.45, 3.45 - i * 0.72, 1.6, 0.52, f"GET /get/7 #{i + 1}", size=10,
            edge=GREY, face="white")
    ax.text(2.45, 0.45, "parked: a context and\na timer each, no thread", ha="center",
            va="center", fontsize=11, color=BLUE)
    box(ax, 5.6, 3.1, 2.6, 0.9, "messages 0..6\nwaiters for 7", size=12, edge=GREEN,
        face="#d9ecd9")
    box(ax, 5.6, 1.6, 2.6, 0.9, "add(message 7):\nanswer all, one turn", size=11,
        edge=GREEN, face="#d9ecd9")
    arrow(ax, (5.6, 2.05), (5.6, 2.65), color=GREEN)
    for i in range(4):
        arrow(ax, (4.3, 1.6), (3.3, 3.45 - i * 0.72), color=GREEN, width=1.2, rad=0.15)
    box(ax, 10.3, 3.4, 2.6, 1.0, "worker: slowbot\nthinks 1 s", size=12, edge=GREEN,
        face="#d9ecd9")
    arrow(ax, (9.0, 3.1), (6.95, 1.75), color=ORANGE)
    ax.text(9.35, 2.2, "post(add)", ha="center", fontsize=12, color=ORANGE)
    ax.text(10.3, 1.0, "never touches\nthe chat itself", ha="center", va="center",
            fontsize=11, color=ORANGE)
    ax.text(6.0, 5.25, "waiting costs memory, not a thread; only the loop writes the chat",
            ha="center", fontsize=14, weight="bold", color=INK)
    save(fig, path)


FIGURES = {
    "concept-calls.png": calls,
    "concept-loop-turn.png": loop_turn,
    "concept-run-turn.png": run_turn,
    "concept-epoll-lists.png": epoll_lists,
    "concept-level-edge.png": level_edge,
    "concept-knotes.png": knotes,
    "concept-heap.png": heap,
    "concept-post.png": post,
    "concept-serve.png": serve,
    "concept-parked.png": parked,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "lessons" / "images",
                        help="where the images go (default: lessons/images)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in FIGURES.items():
        draw(args.out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
