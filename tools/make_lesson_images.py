#!/usr/bin/env python3
"""make_lesson_images: regenerate the timeline images of the lessons from real runs.

Starts fixture servers (tests/harness/fixtures.py), runs the built fetch
programs against them with --trace, and draws the traces with
tools/plot_timeline.py:

    lessons/images/blocking-vs-select.png
        servers answering after 900, 600 and 300 ms plus one silent server,
        --timeout 1.5: stage 0 (blocking) above stage 1 (select loop)
    lessons/images/stall.png
        servers answering after 0, 100, 200 and 400 ms: stage 1 as is, then
        with --stall 1 (the first target's read handler sleeps 1 s)

    /usr/bin/python3 tools/make_lesson_images.py            (after building build/dev)
    /usr/bin/python3 tools/make_lesson_images.py --build-dir build/asan --out-dir /tmp/img

The runs are real, so every regeneration differs by a few milliseconds.
Needs matplotlib (Debian: python3-matplotlib).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import plot_timeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from fixtures import ServerPool  # noqa: E402  (needs the path set above)

RUN_LIMIT_SECONDS = 60

BLOCKING_DELAYS_MS = [900, 600, 300]  # then one silent server
BLOCKING_TIMEOUT_S = 1.5
STALL_DELAYS_MS = [0, 100, 200, 400]  # the first target's handler is the one that sleeps
STALL_S = 1


def run_traced(program: Path, urls: list[str], args: list[str], trace: Path) -> None:
    """Run one fetch program with --trace; fail loudly if it wrote no trace."""
    command = [str(program), "--trace", str(trace)] + args + urls
    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_LIMIT_SECONDS,
                            check=False)
    if result.returncode not in (0, 1) or not trace.is_file():
        sys.exit(f"make_lesson_images: {' '.join(command)} exited {result.returncode}: "
                 f"{result.stderr.strip()}")
    print(f"{program.parent.name} {' '.join(args)}:\n{result.stdout}", end="")


def blocking_scenario(pool: ServerPool) -> list[str]:
    return [pool.delayed(d) for d in BLOCKING_DELAYS_MS] + [pool.silent()]


def stall_scenario(pool: ServerPool) -> list[str]:
    return [pool.delayed(d) for d in STALL_DELAYS_MS]


def traced_run(program: Path, scenario, args: list[str], trace: Path) -> None:
    """One run over fresh servers (a silent server from an earlier run holds nothing over)."""
    with ServerPool() as pool:
        run_traced(program, scenario(pool), args, trace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "dev",
                        help="where the fetch programs were built (default: build/dev)")
    parser.add_argument("--track", choices=["solutions", "exercises"], default="solutions")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "lessons" / "images",
                        help="where the images go (default: lessons/images)")
    args = parser.parse_args(argv)

    programs = {n: args.build_dir / args.track / name / "fetch"
                for n, name in ((0, "00-blocking"), (1, "01-select"))}
    for program in programs.values():
        if not program.is_file():
            parser.error(f"{program} is missing: build it first (cmake --build --preset dev)")
    args.out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        traces = Path(tmp)
        timeout = ["--timeout", str(BLOCKING_TIMEOUT_S)]
        traced_run(programs[0], blocking_scenario, timeout, traces / "blocking.json")
        traced_run(programs[1], blocking_scenario, timeout, traces / "select.json")
        delays = ", ".join(f"{d} ms" for d in BLOCKING_DELAYS_MS)
        plot_timeline.plot(
            [plot_timeline.read_timeline(traces / "blocking.json",
                                         "stage 0: blocking, one target after another"),
             plot_timeline.read_timeline(traces / "select.json",
                                         "stage 1: one select() loop, all targets at once")],
            args.out_dir / "blocking-vs-select.png",
            labels=[f"{d} ms server" for d in BLOCKING_DELAYS_MS] + ["silent server"])
        print(f"wrote {args.out_dir / 'blocking-vs-select.png'} "
              f"(servers {delays} + silent, --timeout {BLOCKING_TIMEOUT_S:g})")

        traced_run(programs[1], stall_scenario, [], traces / "plain.json")
        traced_run(programs[1], stall_scenario, ["--stall", str(STALL_S)], traces / "stall.json")
        plot_timeline.plot(
            [plot_timeline.read_timeline(traces / "plain.json", "stage 1: every handler returns at once"),
             plot_timeline.read_timeline(traces / "stall.json",
                                         f"stage 1 --stall {STALL_S}: the 0 ms server's read "
                                         f"handler sleeps {STALL_S} s")],
            args.out_dir / "stall.png",
            labels=[f"{d} ms server" for d in STALL_DELAYS_MS])
        print(f"wrote {args.out_dir / 'stall.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
