#!/usr/bin/env python3
"""demo: the classroom demo, blocking fetch against an event loop, side by side.

It starts four fixture servers on 127.0.0.1: three answer after 900, 600 and
300 ms, the fourth never answers. Then it runs two fetch programs on the same
four URLs with --timeout 1.5, each writing a trace: stage 0's (blocking: one
URL after the other) and the newest stage built (an event loop: all at once).
Both timelines are drawn as text Gantt charts on the same time scale, so the
class sees at a glance that the blocking program adds the delays up and waits
the full timeout for the silent server, while the event loop waits for the
slowest only once.

    ./kit demo                      (builds first, then runs this)
    python3 tools/demo.py --stage 1 --track exercise
    ./kit demo --stage 2 --backend select     (stage 2 on: the loop's backend)

Every server is stopped at the end, also on Ctrl-C or an error. The traces are
kept in BUILD_DIR/demo/ for chrome://tracing or Perfetto. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import gantt
import kit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from fixtures import ServerPool  # noqa: E402  (needs the path set above)

TIMEOUT_SECONDS = 1.5
DELAYS_MS = [900, 600, 300]  # then one silent server
RUN_LIMIT_SECONDS = 60  # no fetch program may hold the class longer than this


@dataclass
class FetchRun:
    """One fetch program's run over the scenario."""

    stage: str  # "00-blocking"
    rows: list[gantt.Row]
    total_ms: float


class DemoError(Exception):
    """Something the teacher must fix before the demo can run (exit 1)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./kit demo",
        description="Blocking fetch (stage 0) against an event loop, as text Gantt charts.")
    parser.add_argument("--stage", type=int, metavar="N",
                        help="the stage to compare with stage 0 (default: the newest built)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "dev",
                        help="where the programs were built (default: build/dev)")
    parser.add_argument("--backend", metavar="NAME",
                        help="the event loop's backend, from stage 2 on (e.g. select or poll; "
                             "default: the program's own)")
    parser.add_argument("--track", choices=["solution", "exercise"], default="solution",
                        help="run the reference solutions or the learner's exercises")
    return parser.parse_args(argv)


# --- Which programs --------------------------------------------------------


def track_dir(build_dir: Path, track: str) -> Path:
    return build_dir / ("solutions" if track == "solution" else "exercises")


def built_stages(directory: Path) -> dict[int, Path]:
    """Stage number -> fetch program, for every NN-name/fetch under directory."""
    programs = {}
    if directory.is_dir():
        for stage_dir in directory.iterdir():
            match = re.match(r"^(\d\d)-", stage_dir.name)
            program = stage_dir / "fetch"
            if match and program.is_file() and os.access(program, os.X_OK):
                programs[int(match.group(1))] = program
    return programs


def choose_programs(args: argparse.Namespace) -> list[Path]:
    """Stage 0's program and the one to compare it with (none if stage 0 is all there is)."""
    directory = track_dir(args.build_dir, args.track)
    programs = built_stages(directory)
    build_hint = "build first: ./kit demo (or cmake --build --preset dev)"
    if 0 not in programs:
        raise DemoError(f"no stage 0 program in {directory}/00-*/fetch; {build_hint}")
    if args.stage is None:
        return [programs[0]] + ([programs[max(programs)]] if max(programs) > 0 else [])
    if args.stage not in programs:
        raise DemoError(f"no stage {args.stage} program in {directory}/{args.stage:02d}-*/fetch; "
                        f"{build_hint}")
    return [programs[0]] + ([programs[args.stage]] if args.stage > 0 else [])


# --- Running one program ---------------------------------------------------


def start_servers(pool: ServerPool) -> list[tuple[str, str]]:
    """(label, URL) of the scenario's servers, in command-line order."""
    servers = [(f"{delay} ms server", pool.delayed(delay)) for delay in DELAYS_MS]
    servers.append(("silent server", pool.silent()))
    return servers


def total_from_report(stdout: str) -> float | None:
    match = re.search(r"^total (\d+) ", stdout, re.MULTILINE)
    return float(match.group(1)) if match else None


def run_fetch(program: Path, trace_file: Path, extra_args: list[str] = ()) -> FetchRun:
    """Run one fetch program over fresh servers; the servers stop when it is done."""
    stage = program.parent.name
    trace_file.unlink(missing_ok=True)
    with ServerPool() as pool:
        servers = start_servers(pool)
        command = [str(program), *extra_args, "--timeout", str(TIMEOUT_SECONDS),
                   "--trace", str(trace_file)]
        command += [url for _, url in servers]
        try:
            result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                    timeout=RUN_LIMIT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise DemoError(f"{stage}: the program ran longer than {RUN_LIMIT_SECONDS} s; stopped it")
    try:
        rows = gantt.parse_trace(gantt.load_trace(trace_file))
    except (OSError, ValueError):  # no trace, or half of one: the program stopped early
        detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        raise DemoError(f"{stage}: the program wrote no trace (exit code {result.returncode}: "
                        f"{detail})") from None
    labels = {url: label for label, url in servers}
    for row in rows:
        row.label = labels.get(row.label, row.label)
    total = total_from_report(result.stdout)
    return FetchRun(stage, rows, total if total is not None else gantt.end_of(rows))


# --- Showing the result ----------------------------------------------------


def show(runs: list[FetchRun], color: bool, style: gantt.Style) -> None:
    width = gantt.terminal_width()
    scale = max(run.total_ms for run in runs)
    delays = ", ".join(f"{d / 1000:g} s" for d in DELAYS_MS)
    print(f"Four servers: three answer after {delays}; one never answers. "
          f"Every program gets --timeout {TIMEOUT_SECONDS:g}.")
    for run in runs:
        print()
        title = f"Stage {int(run.stage[:2])}: {stage_title(run.stage)}"
        total = f"total {gantt.format_seconds(run.total_ms)}"
        print(bold(title, color) + " " * max(2, width - len(title) - len(total)) + bold(total, color))
        for line in gantt.render_chart(run.rows, scale, width, style, color):
            print(line)
    print()
    print(gantt.legend(style))
    if len(runs) == 2:
        first, last = runs
        ratio = first.total_ms / max(last.total_ms, 1.0)
        print()
        print(bold(f"Stage {int(last.stage[:2])} finished {ratio:.1f}× sooner "
                   f"({gantt.format_seconds(first.total_ms)} -> "
                   f"{gantt.format_seconds(last.total_ms)}).", color))
    else:
        print()
        print("Only stage 0 is built: build a later stage to compare it with.")


def stage_title(slug: str) -> str:
    """The lesson's title ("Blocking fetch"), as ./kit list shows it."""
    return kit.Stage(int(slug[:2]), slug).title


def bold(text: str, color: bool) -> str:
    return f"\033[1m{text}\033[0m" if color else text


def unicode_ok() -> bool:
    encoding = (sys.stdout.encoding or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(errors="replace")  # '?' for what the terminal cannot show
    args = parse_args(argv)
    try:
        programs = choose_programs(args)
        trace_dir = args.build_dir / "demo"
        trace_dir.mkdir(parents=True, exist_ok=True)
        print(f"Running {', '.join(p.parent.name for p in programs)} on the same four servers...",
              flush=True)
        backend = ["--backend", args.backend] if args.backend else []
        runs = [run_fetch(p, trace_dir / f"{p.parent.name}.trace.json",
                          backend if p.parent.name[:2] != "00" else [])
                for p in programs]
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo: interrupted (every server is stopped)", file=sys.stderr)
        return 130
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        show(runs, color, gantt.UNICODE if unicode_ok() else gantt.ASCII)
        print()
        print(f"Traces for chrome://tracing or Perfetto: {trace_dir}/")
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
