#!/usr/bin/env python3
"""demo_serve: the --serve scenario of ./kit demo (stage 7), and its image.

Stage 7's `serve` runs twice with --threads 4 and --trace. Each time two
clients ask for /slow?ms=1500 (a worker sleeps: a slow database call's
stand-in), and a moment later two more ask for /stats (answered in the
loop) and /hello. The first run mounts /slow as the service means it,
synchronous, on the pool; the second with --slow-on loop, the mistake made
on purpose: the sleep runs in the loop, and nobody else is served.

Each run is drawn from two sources on one time axis: the server's own
trace (its lanes: the loop thread and each pool worker, with the
applications that ran there) and the clients' clocks (one row per request,
from the moment it was sent to the moment its answer was whole: what a
user waits). The server's trace starts at its own clock; the two are lined
up on the first connection (its accept, and its client's connect).

    ./kit demo --serve                                  (builds, then runs this)
    /usr/bin/python3 tools/demo_serve.py --plot lessons/images/serve.png

compare_serve(args, trace_dir) takes the arguments of demo.py's other
scenarios and returns a demo.Demo with its own show(); --plot PNG draws
the same two runs with matplotlib (lessons and slides).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import demo
import gantt

SERVE_STAGE = 7  # the first stage with serve
THREADS = 4
SLOW_MS = 1500
SLOW_CLIENTS = 2
FAST_AFTER_S = 0.3  # the quick clients start this long after the slow ones
FAST_PATHS = ["/stats", "/hello"]
START_LIMIT_S = 10
CLIENT_LIMIT_S = 20  # no request may hold the class longer than this
LISTENING = re.compile(r"^listening on http://127\.0\.0\.1:(\d+)/$")


@dataclass
class Request:
    """One client's request, times in ms since the run's clients began."""

    path: str
    sent_ms: float
    answered_ms: float | None = None  # None: no whole answer came
    status: int | None = None

    @property
    def waited_ms(self) -> float | None:
        return None if self.answered_ms is None else self.answered_ms - self.sent_ms


@dataclass
class Lane:
    """One thread of the server: the spans in which an application ran there."""

    name: str  # "loop", "pool-1", ...
    spans: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, target


@dataclass
class ServeRun:
    """One run of the service, ready to draw."""

    title: str
    lanes: list[Lane]
    requests: list[Request]

    @property
    def end_ms(self) -> float:
        ends = [r.answered_ms or r.sent_ms for r in self.requests]
        ends += [end for lane in self.lanes for _, end, _ in lane.spans]
        return max(ends, default=0.0)


# --- Running the service ---------------------------------------------------


def serve_programs(directory: Path) -> dict[int, Path]:
    """Stage number -> serve program, for every NN-name/serve under directory."""
    programs = {}
    if directory.is_dir():
        for stage_dir in directory.iterdir():
            match = re.match(r"^(\d\d)-", stage_dir.name)
            program = stage_dir / "serve"
            if match and program.is_file() and os.access(program, os.X_OK):
                programs[int(match.group(1))] = program
    return programs


SERVE_NEEDS = f"--serve needs stage {SERVE_STAGE} or later (the HTTP service)"


def choose_serve_program(args: argparse.Namespace, first: int = SERVE_STAGE,
                         needs: str = SERVE_NEEDS) -> Path:
    """--stage N, or the newest stage with a serve program; stage `first` or later."""
    directory = demo.track_dir(args.build_dir, args.track)
    programs = {n: p for n, p in serve_programs(directory).items() if n >= first}
    if args.stage is not None and args.stage < first:
        raise demo.DemoError(f"{needs}, not --stage {args.stage}")
    stage = args.stage if args.stage is not None else max(programs, default=None)
    if stage is None or stage not in programs:
        raise demo.DemoError(f"{needs}; no {directory}/{stage or first:02d}-*/serve; "
                             f"{demo.BUILD_HINT}")
    return programs[stage]


def ask(port: int, path: str, began: float) -> Request:
    """One GET on its own connection; the answer is read whole (Content-Length)."""
    request = Request(path, (time.monotonic() - began) * 1000)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_LIMIT_S) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         "Connection: close\r\n\r\n".encode("ascii"))
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, blank, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
                if blank and length and len(body) >= int(length.group(1)):
                    break
        match = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
        if match:
            request.status = int(match.group(1))
            request.answered_ms = (time.monotonic() - began) * 1000
    except OSError:
        pass  # no answer: the row says so
    return request


def start_serve(command: list[str]) -> tuple[subprocess.Popen, int]:
    """Starts serve; returns it and the port of its first line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_LIMIT_S)
    match = LISTENING.match(first[0].strip()) if first else None
    if not match:
        process.kill()
        _, err = process.communicate()
        raise demo.DemoError(f"serve did not say 'listening on ...' within {START_LIMIT_S} s "
                             f"({(err.strip() or 'no output').splitlines()[-1]})")
    # Keep reading its output, so that a chatty server never blocks on a full pipe.
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=stream.read, daemon=True).start()
    return process, int(match.group(1))


def run_service(title: str, program: Path, options: list[str], trace_file: Path) -> ServeRun:
    """serve with these options; the slow clients, then the quick ones; then SIGTERM."""
    trace_file.parent.mkdir(parents=True, exist_ok=True)
    trace_file.unlink(missing_ok=True)
    process, port = start_serve([str(program), "--port", "0", "--threads", str(THREADS),
                                 "--trace", str(trace_file), *options])
    try:
        began = time.monotonic()
        results: list[Request] = []
        lock = threading.Lock()

        def client(path: str) -> None:
            answer = ask(port, path, began)
            with lock:
                results.append(answer)

        slow = [threading.Thread(target=client, args=(f"/slow?ms={SLOW_MS}",))
                for _ in range(SLOW_CLIENTS)]
        for thread in slow:
            thread.start()
            time.sleep(0.01)  # accepted in this order, so the first lines up the clocks
        time.sleep(FAST_AFTER_S)
        fast = [threading.Thread(target=client, args=(path,)) for path in FAST_PATHS]
        for thread in fast:
            thread.start()
        for thread in slow + fast:
            thread.join(CLIENT_LIMIT_S)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=CLIENT_LIMIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            raise demo.DemoError("serve did not exit within "
                                 f"{CLIENT_LIMIT_S} s of SIGTERM; killed it") from None
    if code != 0:
        raise demo.DemoError(f"serve exited with {code} after SIGTERM, not 0")
    try:
        trace = json.loads(trace_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise demo.DemoError(f"serve wrote no trace to {trace_file}") from None
    requests = sorted(results, key=lambda r: r.sent_ms)
    return ServeRun(title, lanes_from_trace(trace, requests), requests)


def lanes_from_trace(trace: dict, requests: list[Request]) -> list[Lane]:
    """The server's lanes, on the clients' clock (its first accept = the first request sent)."""
    events = trace.get("traceEvents", [])
    names = {e["tid"]: e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    accepts = [e["ts"] / 1000 for e in events if e.get("name") == "accepted"]
    shift = (requests[0].sent_ms if requests else 0.0) - (min(accepts) if accepts else 0.0)
    lanes = {tid: Lane(name) for tid, name in sorted(names.items())}
    for event in events:
        if event.get("ph") == "X" and event.get("name") == "app":
            start = event["ts"] / 1000 + shift
            lane = lanes.setdefault(event["tid"], Lane(f"thread {event['tid']}"))
            lane.spans.append((start, start + event.get("dur", 0) / 1000,
                               str(event.get("args", {}).get("target", "?"))))
    # The loop, and the workers that ran something (an idle worker is one more empty line).
    return [lane for tid, lane in sorted(lanes.items()) if tid == 0 or lane.spans]


# --- The scenario ------------------------------------------------------------


def run_both(program: Path, backend: list[str], trace_dir: Path) -> tuple[ServeRun, ServeRun]:
    """/slow on the pool, then in the loop, with /stats and /hello in between."""
    options = " ".join(backend)
    pooled = run_service(f"/slow on the pool: serve --threads {THREADS} {options}".rstrip(),
                         program, backend, trace_dir / f"{program.parent.name}.serve.pool.json")
    looped = run_service(f"/slow in the loop: serve --threads {THREADS} --slow-on loop "
                         f"{options}".rstrip(), program, [*backend, "--slow-on", "loop"],
                         trace_dir / f"{program.parent.name}.serve.loop.json")
    return pooled, looped


def compare_serve(args: argparse.Namespace, trace_dir: Path) -> demo.Demo:
    """The scenario: both runs, drawn by this module's show()."""
    program = choose_serve_program(args)
    print(f"Running {program.parent.name}/serve twice, with four clients each...", flush=True)
    runs = run_both(program, ["--backend", args.backend] if args.backend else [], trace_dir)
    intro = (f"{SLOW_CLIENTS} clients ask for /slow?ms={SLOW_MS} (a worker sleeps "
             f"{SLOW_MS / 1000:g} s); {FAST_AFTER_S:g} s later two more ask for "
             f"{' and '.join(FAST_PATHS)}. Stage {demo.stage_number(program)}'s serve runs twice.")
    return demo.Demo(intro, [], serve_effect(*runs),
                     show=lambda result, color, style: show(result, list(runs), color, style))


def waited(run: ServeRun, path: str) -> str:
    request = next((r for r in run.requests if r.path == path), None)
    if request is None or request.waited_ms is None:
        return "never (no answer)"
    return f"{request.waited_ms:.0f} ms" if request.waited_ms >= 10 else \
        f"{request.waited_ms:.1f} ms"


def serve_effect(pooled: ServeRun, looped: ServeRun) -> str:
    """The closing line, from the measured rows."""
    count = {1: "one", 2: "two", 3: "three"}.get(SLOW_CLIENTS, str(SLOW_CLIENTS))
    return (f"/stats answered in {waited(pooled, '/stats')} while {count} slow requests "
            f"ran on the pool; with /slow mounted in the loop it waited "
            f"{waited(looped, '/stats')}.")


# --- Drawing in the terminal -------------------------------------------------


@dataclass
class Line:
    """One row of a chart: a label, bars, and what to write after them."""

    label: str
    spans: list[tuple[float, float]]
    note: str
    ok: bool = True


def run_lines(run: ServeRun) -> tuple[list[Line], list[Line]]:
    """(thread lanes, request rows) of one run."""
    lanes = []
    for lane in run.lanes:
        targets = list(dict.fromkeys(target for _, _, target in lane.spans))
        note = ", ".join(targets) if targets else "waits for sockets"
        lanes.append(Line(lane.name, [(start, end) for start, end, _ in lane.spans], note))
    rows = []
    for request in run.requests:
        if request.answered_ms is None:
            rows.append(Line(request.path, [(request.sent_ms, run.end_ms)], "no answer", False))
        else:
            rows.append(Line(request.path, [(request.sent_ms, request.answered_ms)],
                             f"{request.status} in {request.waited_ms:.0f} ms",
                             request.status == 200))
    return lanes, rows


def draw_spans(spans: list[tuple[float, float]], scale_ms: float, cells: int, fill: str) -> str:
    """Cells covered by the spans, each at least one cell wide."""
    out = [" "] * cells
    for start, end in spans:
        first = min(gantt.to_cell(start, scale_ms, cells), cells - 1)
        last = max(first + 1, gantt.to_cell(end, scale_ms, cells))
        for cell in range(first, last):
            out[cell] = fill
    return "".join(out)


def render(runs: list[ServeRun], width: int, style: gantt.Style, color: bool) -> list[str]:
    """Both runs, one chart each, on one time scale: lanes, a rule, then requests."""
    charts = [run_lines(run) for run in runs]
    every = [line for lanes, rows in charts for line in lanes + rows]
    label_width = max(len(line.label) for line in every)
    note_width = min(max(len(line.note) for line in every), 34)
    cells = max(gantt.MIN_CELLS, width - label_width - note_width - 4)
    scale = gantt.round_up_scale(max(run.end_ms for run in runs), cells)
    out = []
    for run, (lanes, rows) in zip(runs, charts):
        out += ["", demo.bold(run.title, color)]
        for line in lanes:
            bar = gantt.paint(draw_spans(line.spans, scale, cells, style.ok_bar), "mark", color)
            out.append(f"{line.label:>{label_width}} {style.edge}{bar}{style.edge} "
                       f"{gantt.shorten(line.note, note_width)}")
        out.append(" " * label_width + " " + style.axis * (cells + 2))
        for line in rows:
            kind = "ok" if line.ok else "fail"
            bar = gantt.paint(draw_spans(line.spans, scale, cells,
                                         style.ok_bar if line.ok else style.fail_bar), kind, color)
            out.append(f"{line.label:>{label_width}} {style.edge}{bar}{style.edge} "
                       f"{gantt.paint(line.note, kind, color)}")
        out += gantt.draw_axis(label_width + 1, scale, cells, style)
    return out


def show(result: demo.Demo, runs: list[ServeRun], color: bool, style: gantt.Style) -> None:
    print(result.intro)
    for line in render(runs, gantt.terminal_width(), style, color):
        print(line)
    print()
    print(f"Above the rule, the server's threads: {style.ok_bar} an application running there. "
          f"Below it, each request, from sent to answered.")
    print()
    print(demo.bold(result.conclusion, color))


# --- The image for lessons and slides -----------------------------------------


def plot(runs: list[ServeRun], path: Path) -> None:
    """Both runs as one image, one panel each, on one time axis."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    plt.rcParams.update({"font.size": 14})  # read from the back of a classroom
    charts = [run_lines(run) for run in runs]
    heights = [len(lanes) + len(rows) + 1 for lanes, rows in charts]
    fig, axes = plt.subplots(len(runs), 1, figsize=(12, 1.2 + 0.5 * sum(heights)), dpi=100,
                             sharex=True, gridspec_kw={"height_ratios": heights})
    end = max(run.end_ms for run in runs) / 1000
    for ax, run, (lanes, rows) in zip(axes, runs, charts):
        labels = []
        y = 0
        for line in rows[::-1] + [None] + lanes[::-1]:
            if line is None:
                ax.axhline(y, color="#888888", linewidth=1)
                labels.append("")
                y += 1
                continue
            is_lane = line in lanes
            colour = "#f28e1c" if is_lane else ("#2e9d4a" if line.ok else "#d62728")
            ax.broken_barh([(s / 1000, max((e - s) / 1000, end / 400)) for s, e in line.spans],
                           (y - 0.35, 0.7), facecolors=colour)
            ax.text(end * 1.01, y, line.note, va="center", fontsize=13)
            labels.append(line.label)
            y += 1
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.set_title(run.title, loc="left", fontsize=15)
        ax.grid(axis="x", color="#dddddd")
        ax.set_xlim(0, end * 1.4)
    axes[-1].set_xlabel("seconds · orange: an application running on that thread · "
                        "green: a request, sent to answered")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, required=True, metavar="PNG",
                        help="where to draw both runs (e.g. lessons/images/serve.png)")
    parser.add_argument("--build-dir", type=Path, default=demo.ROOT / "build" / "dev")
    parser.add_argument("--stage", type=int)
    parser.add_argument("--backend")
    args = parser.parse_args(argv)
    args.track = "solution"
    try:
        program = choose_serve_program(args)
        runs = run_both(program, ["--backend", args.backend] if args.backend else [],
                        args.build_dir / "demo")
    except demo.DemoError as error:
        print(f"demo_serve: {error}", file=sys.stderr)
        return 1
    plot(runs, args.plot)
    print(serve_effect(*runs))
    print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
