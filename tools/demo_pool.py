"""demo_pool: the --pool scenario of ./kit demo (stage 6).

One stage-6 program, run twice on the same three servers (answering after
0.1, 0.2 and 0.3 s), each body followed by a 0.5 s blocking step
(--process 0.5): first with the step inside the loop (--process-on loop),
then on a pool of three threads. Both charts share one time scale, and
the closing line is built from the measured totals.

compare_pool(args, trace_dir) takes the arguments of demo.py's other
scenarios (compare_stages, compare_timeouts) and returns a demo.Demo, so
the CLI wires it like them: `--pool` selects it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import demo
import gantt

POOL_STAGE = 6  # the first stage with --process
DELAYS_MS = [100, 200, 300]
PROCESS_SECONDS = 0.5
THREADS = 3
TIMEOUT_SECONDS = 10


def three_servers(pool) -> list[tuple[str, str]]:
    """Three delayed servers: the slowest answers after 0.3 s."""
    return [(f"{delay} ms server", pool.delayed(delay)) for delay in DELAYS_MS]


def choose_pool_program(args: argparse.Namespace) -> Path:
    """--stage N, or the newest built stage; stage 6 or later."""
    directory = demo.track_dir(args.build_dir, args.track)
    programs = demo.built_stages(directory)
    needs = f"--pool needs stage {POOL_STAGE} or later (a thread pool)"
    if args.stage is not None and args.stage < POOL_STAGE:
        raise demo.DemoError(f"{needs}, not --stage {args.stage}")
    if args.stage is None and max(programs, default=-1) < POOL_STAGE:
        newest = f"the newest is stage {max(programs)}" if programs else "no stage is built"
        raise demo.DemoError(f"{needs}; in {directory} {newest}; {demo.BUILD_HINT}")
    stage = args.stage if args.stage is not None else max(programs)
    return demo.stage_program(programs, stage, directory)


def compare_pool(args: argparse.Namespace, trace_dir: Path) -> demo.Demo:
    """The step in the loop, then in the pool, on the same three servers."""
    program = choose_pool_program(args)
    print(f"Running {program.parent.name} twice on the same three servers...", flush=True)
    backend = ["--backend", args.backend] if args.backend else []
    common = [*backend, "--timeout", f"{TIMEOUT_SECONDS:g}", "--process", f"{PROCESS_SECONDS:g}"]
    in_loop = [*common, "--process-on", "loop"]
    in_pool = [*common, "--process-on", "pool", "--threads", str(THREADS)]
    runs = [demo.run_fetch(f"The step in the loop: {' '.join(in_loop)}", program, in_loop,
                           three_servers, trace_dir / f"{program.parent.name}.loop.trace.json"),
            demo.run_fetch(f"The step in the pool: {' '.join(in_pool)}", program, in_pool,
                           three_servers, trace_dir / f"{program.parent.name}.pool.trace.json")]
    delays = ", ".join(f"{d / 1000:g} s" for d in DELAYS_MS)
    intro = (f"Three servers answer after {delays}; every body then takes a "
             f"{PROCESS_SECONDS:g} s blocking step (saved with fsync, padded by a sleep). "
             f"Stage {demo.stage_number(program)} runs twice.")
    return demo.Demo(intro, runs, pool_effect(*runs))


def pool_effect(looped: demo.FetchRun, pooled: demo.FetchRun) -> str:
    """What moving the step to the pool changed, from the measured totals."""
    ratio = looped.total_ms / max(pooled.total_ms, 1.0)
    return (f"In the loop the steps ran one after another and stalled every connection "
            f"({gantt.format_seconds(looped.total_ms)}); on {THREADS} workers they ran side "
            f"by side ({gantt.format_seconds(pooled.total_ms)}): {ratio:.1f}× sooner.")
