#!/usr/bin/env python3
"""plot_fd_scaling: draw the fd-scaling benchmark's JSON as lessons/images/fd-scaling.png.

    build/release/tools/bench/fd_scaling --json fd-scaling.json
    MPLBACKEND=Agg /usr/bin/python3 tools/plot_fd_scaling.py fd-scaling.json lessons/images/fd-scaling.png

One panel per number of active fds A: ns per event (log scale) against the
number of watched fds N (log scale), one line per backend. select and poll
climb with N; epoll, kqueue and libev stay flat. Needs matplotlib.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict

import matplotlib.pyplot as plt

STYLE = {  # the kit's backends solid, libev dashed
    "select": ("tab:red", "-", "o"),
    "poll": ("tab:orange", "-", "s"),
    "epoll": ("tab:blue", "-", "^"),
    "epoll-et": ("tab:cyan", "-", "v"),
    "kqueue": ("tab:green", "-", "D"),
    "libev": ("black", "--", "x"),
}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    rows = json.load(open(sys.argv[1], encoding="utf-8"))
    # The benchmark caps A at N/2 (tokens must never meet): A = 100 runs as
    # 50 at N = 100. So the panels are "one active fd" and "many".
    def panel(row):
        return "one" if row["active"] == 1 else "many"

    actives = ["one", "many"]
    fig, axes = plt.subplots(1, len(actives), figsize=(5.2 * len(actives), 4.2), squeeze=False)
    for ax, active in zip(axes[0], actives):
        series = defaultdict(list)
        for row in rows:
            if panel(row) == active:
                series[row["backend"]].append((row["n"], row["ns_per_event"]))
        for backend, points in series.items():
            points.sort()
            color, line, marker = STYLE.get(backend, ("gray", ":", "."))
            ax.plot([n for n, _ in points], [ns for _, ns in points], line, color=color,
                    marker=marker, label=backend)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("watched fds (N)")
        ax.set_ylabel("ns per event")
        many = sorted({row["active"] for row in rows if panel(row) == "many"})
        ax.set_title("1 active fd" if active == "one"
                     else f"{max(many)} active fds ({min(many)} at N = 100)" if many else "many")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Cost of one event as idle fds grow (lower is better)")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
