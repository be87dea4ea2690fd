#!/usr/bin/env python3
"""bench_threads: a thread per target against stage 1's select() loop.

Lesson 1 argues that one loop waiting for every socket beats the obvious
alternative, a thread per target that each waits the blocking way. This
program measures both on the same servers: N targets (10, 100, 1000 by
default) on one local server that answers each request after --delay-ms,
fetched by tools/thread_fetch (thread-fetch) and by stage 1's fetch, in
interleaved rounds. For each run it records

    wall     seconds from start to exit
    cpu      user + system seconds of the fetch process (getrusage via wait4)
    rss      its peak resident memory, MiB (VmHWM in /proc/PID/status; not
             ru_maxrss, which would count the Python process it forked from)
    threads  its peak thread count (Threads in /proc/PID/status)

(both sampled every 2 ms while it runs)

and prints the median of --rounds runs per cell, or writes them as JSON
(--json) and draws them (--plot PNG, needs matplotlib). Every run must
fetch every target ok, or the program stops with the fetch's output.

    cmake --preset release && cmake --build --preset release --target thread-fetch solution-01
    /usr/bin/python3 tools/bench_threads.py --build-dir build/release --plot lessons/images/threads-vs-select.png

The server runs in a process of its own (asyncio, one thread), so its work
is not counted and does not compete for the GIL with the sampler.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_LIMIT_S = 60

SERVER = r"""
import asyncio, sys
DELAY = float(sys.argv[1])
BODY = b"x" * 1000
HEAD = b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
async def serve(reader, writer):
    try:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(DELAY)
        writer.write(HEAD + BODY)
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def sample(pid: int, stop: threading.Event, peaks: dict[str, int]) -> None:
    """Sample /proc/PID/status until stop; keep the largest VmHWM (KiB) and Threads in peaks."""
    path = f"/proc/{pid}/status"
    while not stop.is_set():
        try:
            with open(path, encoding="ascii") as status:
                for line in status:
                    key, _, value = line.partition(":")
                    if key in peaks:
                        peaks[key] = max(peaks[key], int(value.split()[0]))
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            return  # gone: it exited, or is a zombie with no memory left to report
        stop.wait(0.002)


def measure(program: Path, urls: list[str]) -> dict:
    """One run of a fetch program on urls: wall, cpu, rss, threads."""
    started = time.monotonic()
    proc = subprocess.Popen([str(program), "--timeout", "30", *urls],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop, peaks = threading.Event(), {"VmHWM": 0, "Threads": 0}
    sampler = threading.Thread(target=sample, args=(proc.pid, stop, peaks))
    sampler.start()
    # Read the output while it runs (a full pipe would stall it), then reap
    # it with wait4 for its resource usage.
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"bench_threads: {program} exited {proc.returncode} on {len(urls)} targets:\n"
                 f"{out.decode()[-2000:]}{err.decode()[-2000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": peaks["VmHWM"] / 1024, "threads": peaks["Threads"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "release")
    parser.add_argument("--sizes", default="10,100,1000",
                        help="numbers of targets, comma-separated (default 10,100,1000)")
    parser.add_argument("--delay-ms", type=int, default=1000,
                        help="how long the server waits before each answer (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per cell (default 3)")
    parser.add_argument("--json", type=Path, help="write the medians here")
    parser.add_argument("--plot", type=Path, help="draw the medians into this PNG")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    programs = {"threads": args.build_dir / "tools" / "thread_fetch" / "thread-fetch",
                "select": args.build_dir / "solutions" / "01-select" / "fetch"}
    for program in programs.values():
        if not program.is_file():
            parser.error(f"{program} is missing: build thread-fetch and solution-01 first")

    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.delay_ms / 1000)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/"
        runs: dict[tuple[str, int], list[dict]] = {}
        for _ in range(args.rounds):  # interleaved: a noisy moment hits both alike
            for n in sizes:
                for name, program in programs.items():
                    runs.setdefault((name, n), []).append(measure(program, [url] * n))
    finally:
        server.terminate()
        server.wait(timeout=10)

    medians = [{"program": name, "targets": n,
                **{k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss", "threads")}}
               for (name, n), rs in runs.items()]
    medians.sort(key=lambda m: (m["targets"], m["program"]))
    print(f"server delay {args.delay_ms} ms, median of {args.rounds} runs")
    print(f"{'targets':>8} {'program':>8} {'wall s':>8} {'cpu s':>8} {'rss MiB':>8} {'threads':>8}")
    for m in medians:
        print(f"{m['targets']:>8} {m['program']:>8} {m['wall']:>8.2f} {m['cpu']:>8.2f} "
              f"{m['rss']:>8.1f} {m['threads']:>8.0f}")
    if args.json:
        args.json.write_text(json.dumps({"delay_ms": args.delay_ms, "rounds": args.rounds,
                                         "medians": medians}, indent=2) + "\n")
    if args.plot:
        plot(medians, sizes, args.delay_ms, args.plot)
    return 0


def plot(medians: list[dict], sizes: list[int], delay_ms: int, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"threads": "#f28e1c", "select": "#1f5fbf"}
    metrics = [("wall", "wall time, s"), ("cpu", "CPU time, s"),
               ("rss", "peak memory (RSS), MiB"), ("threads", "threads")]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.6), dpi=100)
    width = 0.38
    for ax, (key, label) in zip(axes, metrics):
        for k, name in enumerate(("threads", "select")):
            values = [next(m[key] for m in medians if m["program"] == name and m["targets"] == n)
                      for n in sizes]
            xs = [i + (k - 0.5) * width for i in range(len(sizes))]
            ax.bar(xs, values, width, color=colours[name],
                   label="a thread per target" if name == "threads" else "one select() loop")
            for x, v in zip(xs, values):
                ax.text(x, v, f"{v:.2f}" if key in ("wall", "cpu") else f"{v:.1f}" if key == "rss" else f"{v:.0f}",
                        ha="center", va="bottom", fontsize=10)
        ax.set_xticks(range(len(sizes)), [str(n) for n in sizes])
        ax.set_xlabel("targets")
        ax.set_title(label, fontsize=13)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].legend(loc="upper left", fontsize=10)
    fig.suptitle(f"N targets on one server that answers after {delay_ms} ms "
                 "(medians; tools/bench_threads.py)", fontsize=13)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
