#!/usr/bin/env python3
"""demo: the classroom demos, fetch programs on real servers, as text Gantt charts.

The scenarios are the rows of SCENARIOS at the end of this file: each a
pair of runs on fresh fixture servers (127.0.0.1), drawn one above the
other on the same time scale. A later stage adds its demo as one row there
and one function that returns a Demo.

The default, blocking fetch against an event loop. Four servers: three
answer after 900, 600 and 300 ms, the fourth never answers. Stage 0's
program (blocking: one URL after the other) and the newest stage built (an
event loop: all at once) run on the same four URLs with --timeout 1.5. The
class sees that the blocking program adds the delays up and waits the full
timeout for the silent server, while the event loop waits for the slowest
only once.

--timeouts, a timer per connection (stage 5 on). Three servers: one
trickles its answer, a chunk every 100 ms (1.2 s in all), one never
answers, one answers after 200 ms. The same program runs twice: with only a
global --timeout 2.5, the silent server holds the run until 2.5 s; with
--idle-timeout 0.3 added, it fails `idle-timeout` 0.3 s after it connected,
while the trickle, whose pauses are shorter, goes on and finishes.

    ./kit demo                      (builds what it runs, then runs this)
    python3 tools/demo.py --stage 1 --track exercise
    ./kit demo --stage 2 --backend select     (stage 2 on: the loop's backend)
    ./kit demo --timeouts                     (stage 5 or later)
    ./kit demo --pool                         (stage 6 or later; tools/demo_pool.py)
    ./kit demo --serve                        (stage 7 or later; tools/demo_serve.py)
    ./kit demo --chat [--hold 60]             (stage 8 or later; tools/demo_chat.py)

Run directly, the default stage is the newest one built; ./kit demo picks
the newest stage you have passed instead (tools/kitcli/demo.py).

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
from typing import Callable

import gantt
from kitcli.stages import Stage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from fixtures import ServerPool  # noqa: E402  (needs the path set above)

# tools/demo_pool.py and demo_serve.py import this module as `demo`. Run as a
# script it is __main__, and a second copy under the name `demo` would have a
# DemoError of its own, which main() would not catch: one module, two names.
sys.modules.setdefault("demo", sys.modules[__name__])

# The default scenario: blocking fetch against an event loop.
TIMEOUT_SECONDS = 1.5
DELAYS_MS = [900, 600, 300]  # then one silent server

# The --timeouts scenario: a timer per connection.
TIMERS_STAGE = 5  # the first stage with --idle-timeout
GLOBAL_TIMEOUT_SECONDS = 2.5
IDLE_TIMEOUT_SECONDS = 0.3
TRICKLE_CHUNKS, TRICKLE_CHUNK_BYTES, TRICKLE_INTERVAL_MS = 12, 100, 100  # pauses < idle timeout
QUICK_DELAY_MS = 200  # a quiet start shorter than the idle timeout, so it survives it

RUN_LIMIT_SECONDS = 60  # no fetch program may hold the class longer than this
BUILD_HINT = "build first: ./kit demo (or cmake --build --preset dev)"

# Starts a scenario's servers in a pool; returns (label, URL) pairs in command-line order.
Servers = Callable[[ServerPool], list[tuple[str, str]]]


@dataclass
class FetchRun:
    """One fetch program's run over a scenario, ready to draw."""

    title: str  # the chart's heading
    rows: list[gantt.Row]
    total_ms: float


@dataclass
class Demo:
    """What show() prints: a line about the servers, the charts, the lesson.

    A demo whose runs are not fetch runs (stage 7's server) brings its own
    show(demo, color, style) and leaves runs empty.
    """

    intro: str
    runs: list[FetchRun]
    conclusion: str
    show: Callable[[Demo, bool, gantt.Style], None] | None = None
    traces: bool = True  # it wrote traces to trace_dir (the chat demo writes none)


class DemoError(Exception):
    """Something the teacher must fix before the demo can run (exit 1)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; args.scenario is the chosen row of SCENARIOS (the first by default)."""
    parser = argparse.ArgumentParser(
        prog="./kit demo",
        description="Blocking fetch (stage 0) against an event loop, as text Gantt charts; "
                    "the options below choose another demo.")
    choice = parser.add_mutually_exclusive_group()
    for scenario in SCENARIOS[1:]:
        choice.add_argument(scenario.option, dest="scenario", action="store_const",
                            const=scenario, help=scenario.help)
    parser.set_defaults(scenario=SCENARIOS[0])
    parser.add_argument("--stage", type=int, metavar="N",
                        help="the stage to compare with stage 0, or to run in another demo "
                             "(default: the newest built; ./kit demo: the newest you passed)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "dev",
                        help="where the programs were built (default: build/dev)")
    parser.add_argument("--backend", metavar="NAME",
                        help="the event loop's backend, from stage 2 on (e.g. select or poll; "
                             "default: the program's own)")
    parser.add_argument("--track", choices=["solution", "exercise"], default="solution",
                        help="run the reference solutions or the learner's exercises")
    parser.add_argument("--hold", type=float, default=0.0, metavar="S",
                        help="--chat: keep the server up S seconds after the demo, for a "
                             "browser on its URL (default 0)")
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


def stage_program(programs: dict[int, Path], stage: int, directory: Path) -> Path:
    if stage not in programs:
        raise DemoError(f"no stage {stage} program in {directory}/{stage:02d}-*/fetch; "
                        f"{BUILD_HINT}")
    return programs[stage]


def stage_number(program: Path) -> int:
    return int(program.parent.name[:2])


def choose_programs(args: argparse.Namespace) -> list[Path]:
    """Stage 0's program and the one to compare it with (none if stage 0 is all there is)."""
    directory = track_dir(args.build_dir, args.track)
    programs = built_stages(directory)
    blocking = stage_program(programs, 0, directory)
    stage = max(programs) if args.stage is None else args.stage
    return [blocking] + ([stage_program(programs, stage, directory)] if stage > 0 else [])


def choose_one_program(args: argparse.Namespace) -> Path:
    """The program for a demo that runs one stage: --stage N, or the newest built,
    not older than the scenario's first stage."""
    scenario = args.scenario
    first = scenario.first_stage
    directory = track_dir(args.build_dir, args.track)
    programs = built_stages(directory)
    needs = f"{scenario.option} needs stage {first} or later ({scenario.needs})"
    if args.stage is not None and args.stage < first:
        raise DemoError(f"{needs}, not --stage {args.stage}")
    if args.stage is None and max(programs, default=-1) < first:
        newest = f"the newest is stage {max(programs)}" if programs else "no stage is built"
        raise DemoError(f"{needs}; in {directory} {newest}; {BUILD_HINT}")
    return stage_program(programs, args.stage if args.stage is not None else max(programs),
                         directory)


# --- Running one program ---------------------------------------------------


def four_servers(pool: ServerPool) -> list[tuple[str, str]]:
    """The default scenario: three delayed servers, then a silent one."""
    servers = [(f"{delay} ms server", pool.delayed(delay)) for delay in DELAYS_MS]
    servers.append(("silent server", pool.silent()))
    return servers


def timeout_servers(pool: ServerPool) -> list[tuple[str, str]]:
    """The --timeouts scenario: a trickle, a silent server, a quick one."""
    return [("trickle server", pool.trickle(TRICKLE_CHUNKS * TRICKLE_CHUNK_BYTES,
                                            TRICKLE_CHUNK_BYTES, TRICKLE_INTERVAL_MS)),
            ("silent server", pool.silent()),
            (f"{QUICK_DELAY_MS} ms server", pool.delayed(QUICK_DELAY_MS))]


def total_from_report(stdout: str) -> float | None:
    match = re.search(r"^total (\d+) ", stdout, re.MULTILINE)
    return float(match.group(1)) if match else None


def run_fetch(title: str, program: Path, options: list[str], servers: Servers,
              trace_file: Path) -> FetchRun:
    """Run one fetch program with these options over fresh servers; they stop when it is done."""
    stage = program.parent.name
    trace_file.parent.mkdir(parents=True, exist_ok=True)
    trace_file.unlink(missing_ok=True)
    with ServerPool() as pool:
        labelled = servers(pool)
        command = [str(program), *options, "--trace", str(trace_file)]
        command += [url for _, url in labelled]
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
    labels = {url: label for label, url in labelled}
    for row in rows:
        row.label = labels.get(row.label, row.label)
    total = total_from_report(result.stdout)
    return FetchRun(title, rows, total if total is not None else gantt.end_of(rows))


# --- The two scenarios -----------------------------------------------------


def compare_stages(args: argparse.Namespace, trace_dir: Path) -> Demo:
    """Stage 0 against the newest stage (or --stage N), on four servers."""
    programs = choose_programs(args)
    print(f"Running {', '.join(p.parent.name for p in programs)} on the same four servers...",
          flush=True)
    runs = []
    for program in programs:
        options = ["--timeout", f"{TIMEOUT_SECONDS:g}"]
        if args.backend and stage_number(program) > 0:
            options = ["--backend", args.backend] + options
        title = f"Stage {stage_number(program)}: {stage_title(program.parent.name)}"
        runs.append(run_fetch(title, program, options, four_servers,
                              trace_dir / f"{program.parent.name}.trace.json"))
    delays = ", ".join(f"{d / 1000:g} s" for d in DELAYS_MS)
    intro = (f"Four servers: three answer after {delays}; one never answers. "
             f"Every program gets --timeout {TIMEOUT_SECONDS:g}.")
    if len(runs) < 2:
        return Demo(intro, runs, "Only stage 0 is built: build a later stage to compare it with.")
    first, last = runs
    ratio = first.total_ms / max(last.total_ms, 1.0)
    return Demo(intro, runs, f"Stage {stage_number(programs[-1])} finished {ratio:.1f}× sooner "
                             f"({gantt.format_seconds(first.total_ms)} -> "
                             f"{gantt.format_seconds(last.total_ms)}).")


def compare_timeouts(args: argparse.Namespace, trace_dir: Path) -> Demo:
    """One stage-5 program, with a global timeout only, then with an idle timeout too."""
    program = choose_one_program(args)
    print(f"Running {program.parent.name} twice on the same three servers...", flush=True)
    backend = ["--backend", args.backend] if args.backend else []
    global_only = [*backend, "--timeout", f"{GLOBAL_TIMEOUT_SECONDS:g}"]
    with_idle = [*global_only, "--idle-timeout", f"{IDLE_TIMEOUT_SECONDS:g}"]
    runs = [run_fetch(f"Global timeout only: {' '.join(global_only)}", program, global_only,
                      timeout_servers, trace_dir / f"{program.parent.name}.global.trace.json"),
            run_fetch(f"With an idle timeout: {' '.join(with_idle)}", program, with_idle,
                      timeout_servers, trace_dir / f"{program.parent.name}.idle.trace.json")]
    intro = (f"Three servers: one trickles its answer, a chunk every "
             f"{TRICKLE_INTERVAL_MS / 1000:g} s ({TRICKLE_CHUNKS} chunks); one never answers; "
             f"one answers after {QUICK_DELAY_MS / 1000:g} s. "
             f"Stage {stage_number(program)} runs twice.")
    return Demo(intro, runs, idle_timeout_effect(*runs))


def idle_timeout_effect(before: FetchRun, after: FetchRun) -> str:
    """What the idle timeout changed, from the measured rows and totals."""
    failed = [f"the {new.label} failed {ending(new)}, not {ending(old)}"
              for old, new in zip(before.rows, after.rows) if not new.ok]
    finished = [f"the {row.label}" for row in after.rows if row.ok]
    return (f"With the idle timeout, {'; '.join(failed) or 'nothing failed'}; "
            f"{' and '.join(finished) or 'nothing'} finished ok; total "
            f"{gantt.format_seconds(before.total_ms)} -> {gantt.format_seconds(after.total_ms)}.")


def ending(row: gantt.Row) -> str:
    """'ok at 1.21 s' or 'idle-timeout at 0.30 s'."""
    words = row.result.split()
    how = "ok" if row.ok else (words[1] if len(words) > 1 else "?")
    return f"{how} at {gantt.format_seconds(row.end_ms)}"


# --- Showing the result ----------------------------------------------------


def show(demo: Demo, color: bool, style: gantt.Style) -> None:
    width = gantt.terminal_width()
    scale = max(run.total_ms for run in demo.runs)
    outcome_width = max(len(gantt.outcome(row)) for run in demo.runs for row in run.rows)
    print(demo.intro)
    for run in demo.runs:
        print()
        total = f"total {gantt.format_seconds(run.total_ms)}"
        print(bold(run.title, color) + " " * max(2, width - len(run.title) - len(total))
              + bold(total, color))
        for line in gantt.render_chart(run.rows, scale, width, style, color, outcome_width):
            print(line)
    print()
    print(gantt.legend(style))
    print()
    print(bold(demo.conclusion, color))


def stage_title(slug: str) -> str:
    """The lesson's title ("Blocking fetch"), as ./kit list shows it."""
    return Stage(int(slug[:2]), slug).title


def bold(text: str, color: bool) -> str:
    return f"\033[1m{text}\033[0m" if color else text


def unicode_ok() -> bool:
    encoding = (sys.stdout.encoding or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(errors="replace")  # '?' for what the terminal cannot show
    args = parse_args(argv)
    trace_dir = args.build_dir / "demo"
    try:
        demo = args.scenario.run(args, trace_dir)
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo: interrupted (every server is stopped)", file=sys.stderr)
        return 130
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        (demo.show or show)(demo, color, gantt.UNICODE if unicode_ok() else gantt.ASCII)
        if demo.traces:
            print()
            print(f"Traces for chrome://tracing or Perfetto: {trace_dir}/")
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


# --- The demos ----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One demo: the option that chooses it, the first stage it can run, and how."""

    option: str  # "" for the default demo
    first_stage: int  # ./kit demo runs no older stage
    with_stage_0: bool  # it runs stage 0 too (so --track exercise needs stage 0 passed)
    run: Callable[[argparse.Namespace, Path], Demo]
    needs: str  # what that first stage brings, for the error message
    help: str


def compare_pool(args: argparse.Namespace, trace_dir: Path) -> Demo:
    """Stage 6's demo, in its own module (tools/demo_pool.py), which imports
    this one: imported here, when chosen, so neither import is circular."""
    import demo_pool  # pylint: disable=import-outside-toplevel
    return demo_pool.compare_pool(args, trace_dir)


def compare_serve(args: argparse.Namespace, trace_dir: Path) -> Demo:
    """Stage 7's demo, in tools/demo_serve.py, imported when chosen (as compare_pool)."""
    import demo_serve  # pylint: disable=import-outside-toplevel
    return demo_serve.compare_serve(args, trace_dir)


def compare_chat(args: argparse.Namespace, trace_dir: Path) -> Demo:
    """Stage 8's demo, in tools/demo_chat.py, imported when chosen (as compare_pool)."""
    import demo_chat  # pylint: disable=import-outside-toplevel
    return demo_chat.compare_chat(args, trace_dir)


SCENARIOS = [
    Scenario("", 1, True, compare_stages, "an event loop",
             "stage 0 against an event loop, on four servers"),
    Scenario("--timeouts", TIMERS_STAGE, False, compare_timeouts, "timeouts per connection",
             f"one program (stage {TIMERS_STAGE} or later) run twice: with a global "
             f"--timeout {GLOBAL_TIMEOUT_SECONDS:g} only, then with --idle-timeout "
             f"{IDLE_TIMEOUT_SECONDS:g} too"),
    Scenario("--pool", 6, False, compare_pool, "a thread pool",
             "one program (stage 6 or later) run twice: --process 0.5 in the loop, "
             "then on a pool of 3 threads"),
    Scenario("--serve", 7, False, compare_serve, "the HTTP service",
             "stage 7's serve, twice: two slow requests on the pool while /stats and /hello "
             "are answered, then the same with /slow mounted in the loop"),
    Scenario("--chat", 8, False, compare_chat, "asynchronous applications",
             "stage 8's serve: 200 long-poll clients parked, one message fanned out; "
             "then slowbots fill the pool and the chat still flows (prints the chat's URL)"),
]


if __name__ == "__main__":
    sys.exit(main())
