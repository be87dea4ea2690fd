#!/usr/bin/env python3
"""bench_serve: stage 7's `serve` against nginx on /hello, throughput, CPU and memory.

A command, not a test (lessons/07-serve.md reads its table):

    cmake --preset release && cmake --build --preset release --target solution-07
    /usr/bin/python3 tools/bench_serve/bench_serve.py [--rounds 9] [--seconds 3] [--idle 10000]

Three servers run in the same invocation, each pinned with taskset to one
core (--server-cpu, default 0) while wrk runs pinned to the other
(--client-cpu, default 1): the kit's serve (--backend epoll unless
--backend says otherwise) with /hello answered in the loop
(asynchronous, the default), the same program with --hello-on pool
(synchronous: two thread hand-offs per request), and nginx with one worker
and no access log, configured (in a temporary folder) to answer /hello with
the same body and Content-Type as serve's. First each is checked for a
well-formed keep-alive answer and warmed up; then --rounds rounds, in each
of which every server gets one run of

    wrk -t1 -c50 -dSECONDS --timeout 5s -s wrk_report.lua URL/hello

in a rotating order (no server always runs first after a quiet moment).
For each run: requests per second from wrk, and the server's CPU time per
request, utime + stime of the serving process (all its threads; nginx's
worker) from /proc/PID/stat before and after, divided by wrk's request
count, and its context switches per request (all threads,
/proc/PID/task/*/status). The table shows medians over the rounds, the
spread, and the ratios kit / nginx (the median of each round's ratio:
a round's runs are seconds apart), against the bar of lesson 7 (issue
13): requests per second at least 0.9x nginx's, CPU per request at most
1.1x nginx's.

Then the memory per idle keep-alive connection: --idle connections opened
to each server in turn (clients.IdleConnections: one answered request on
each, then idle), VmRSS of the serving process before and after, the
difference divided by the count; every connection is then asked once more,
so a server that dropped some is caught, not flattered. Kernel memory for
the sockets is not in VmRSS and not counted.

--syscalls instead counts the system calls per request: one wrk run per
server with `strace -c -f` attached to the serving process (all its
threads), each call's count divided by wrk's requests. strace slows every
call a lot, so that run's speed means nothing; the counts do.

Exit 1 if a run had socket errors or non-2xx answers, served no requests,
a connection was dropped, or a server did not start or exit cleanly (exit
0 after SIGTERM). Those are the only checks of the smoke run, a CTest test:

    bench_serve.py --rounds 1 --seconds 1 --idle 100 --no-warmup

CPU clock ticks are 10 ms; a 3 s run at tens of thousands of requests per
second measures CPU per request to about 2 %. The machine is shared:
the load average is printed before and after, and medians resist a noisy
round, not a noisy machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from clients import IdleConnections, check_hello
from servers import BenchError, Server, start_kit, start_nginx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REPORT_LUA = HERE / "wrk_report.lua"
WRK_EXTRA_S = 30  # wrk exits this long after its -d at the latest, or it is stopped
IDLE_LIMIT_S = 120  # opening the idle connections may take this long at most
BAR_RPS, BAR_CPU = 0.9, 1.1  # lesson 7's bar: rps >= 0.9x nginx, CPU/request <= 1.1x nginx


@dataclass
class Run:
    """One wrk run against one server."""

    requests: int
    seconds: float
    bytes: int  # what wrk read: heads and bodies
    cpu_s: float  # the server's CPU time during the run
    switches: int  # the server's context switches during the run, all threads
    errors: dict[str, int]  # wrk's socket errors and non-2xx/3xx answers
    latency_p50_us: int
    latency_p99_us: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def bytes_per_response(self) -> float:
        return self.bytes / max(self.requests, 1)

    @property
    def switches_per_request(self) -> float:
        return self.switches / max(self.requests, 1)

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s * 1e6 / max(self.requests, 1)


@dataclass
class Row:
    """A server's line of the table: its runs and its idle-connection memory."""

    name: str
    runs: list[Run] = field(default_factory=list)
    idle_kib_per_connection: float | None = None

    def median(self, what: str) -> float:
        return statistics.median(getattr(run, what) for run in self.runs)

    def spread(self, what: str) -> tuple[float, float]:
        values = [getattr(run, what) for run in self.runs]
        return min(values), max(values)


def wrk(url: str, path: str, connections: int, seconds: float, cpu: int | None) -> dict:
    """One wrk run; returns the JSON line of wrk_report.lua."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
               "-s", str(REPORT_LUA), url.rstrip("/") + path]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                timeout=seconds + WRK_EXTRA_S)
    except FileNotFoundError:
        raise BenchError("wrk is not installed: apt-get install wrk "
                         "(tools/setup.sh does)") from None
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk ran longer than {seconds + WRK_EXTRA_S:g} s against {url}") from None
    for line in result.stdout.splitlines():
        if line.startswith("bench_serve "):
            return json.loads(line.removeprefix("bench_serve "))
    raise BenchError(f"wrk printed no report (exit {result.returncode}): "
                     f"{(result.stderr or result.stdout).strip()[-200:]}")


def measure(server: Server, path: str, connections: int, seconds: float,
            cpu: int | None) -> Run:
    before, switches_before = server.cpu_seconds(), server.context_switches()
    report = wrk(server.url, path, connections, seconds, cpu)
    after, switches_after = server.cpu_seconds(), server.context_switches()
    if not server.alive():
        raise BenchError(f"{server.name} exited during the run: {server.output()[-300:]}")
    errors = {kind: report[kind] for kind in ("connect", "read", "write", "timeout", "status")}
    return Run(report["requests"], report["duration_us"] / 1e6, report["bytes"],
               after - before, switches_after - switches_before, errors,
               report["latency_p50_us"], report["latency_p99_us"])


def idle_memory(server: Server, count: int) -> float:
    """KiB of VmRSS per idle keep-alive connection, with count of them open."""
    before = server.rss_kib()
    with IdleConnections(server.url, count, IDLE_LIMIT_S) as idle:
        time.sleep(0.2)  # let the server finish with the last answers
        after = server.rss_kib()
        lost = idle.verify()
    if lost:
        raise BenchError(f"{server.name} dropped {lost} of {count} idle keep-alive connections")
    return (after - before) / count


def start_servers(args: argparse.Namespace) -> list[Server]:
    """serve in the loop, serve with --hello-on pool, then nginx with serve's bytes."""
    common = ["--backend", args.backend, *args.serve_option,
              "--idle-timeout", str(args.keepalive), "--head-timeout", str(args.keepalive)]
    servers: list[Server] = []
    try:
        servers.append(start_kit("kit, /hello in the loop", args.serve, common, args.server_cpu))
        servers.append(start_kit("kit, /hello on the pool", args.serve,
                                 [*common, "--hello-on", "pool"], args.server_cpu))
        hello = check_hello(servers[0].url, args.path)
        content_type = hello.headers.get("content-type", "text/plain")
        servers.append(start_nginx(hello.body, content_type, args.server_cpu,
                                   max(args.idle, args.connections), args.keepalive))
        for server in servers[1:]:
            answer = check_hello(server.url, args.path)
            if answer.body != hello.body:
                raise BenchError(f"{server.name} answers {args.path} with other bytes than "
                                 f"{servers[0].name}: {answer.body[:40]!r}, {hello.body[:40]!r}")
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def run_rounds(servers: list[Server], rows: list[Row], args: argparse.Namespace) -> None:
    if not args.no_warmup:
        for server in servers:
            measure(server, args.path, args.connections, 1, args.client_cpu)
    for round_number in range(args.rounds):
        shift = round_number % len(servers)
        order = list(range(len(servers)))[shift:] + list(range(len(servers)))[:shift]
        for index in order:
            run = measure(servers[index], args.path, args.connections, args.seconds,
                          args.client_cpu)
            rows[index].runs.append(run)
            print(f"  round {round_number + 1}: {servers[index].name}: {run.rps:,.0f} req/s, "
                  f"{run.cpu_us_per_request:.1f} µs CPU/request"
                  + (f", errors {run.errors}" if any(run.errors.values()) else ""),
                  file=sys.stderr, flush=True)


def syscalls(server: Server, args: argparse.Namespace) -> tuple[int, dict[str, int]]:
    """wrk's requests and strace's count per system call, for one run under strace -c -f."""
    with tempfile.TemporaryDirectory(prefix="bench-serve-strace-") as directory:
        out = Path(directory) / "strace.txt"
        try:
            tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(server.pid), "-o", str(out)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            raise BenchError("strace is not installed: apt-get install strace") from None
        time.sleep(0.5)  # attached to every thread before the load begins
        run = measure(server, args.path, args.connections, args.seconds, args.client_cpu)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
        counts = {}
        for line in out.read_text(encoding="ascii", errors="replace").splitlines():
            words = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"
            if len(words) >= 5 and words[3].isdigit() and words[-1] != "total":
                counts[words[-1]] = int(words[3])
    if not counts:
        raise BenchError(f"strace counted nothing for {server.name} (ptrace not allowed?)")
    return run.requests, counts


def syscall_table(servers: list[Server], args: argparse.Namespace) -> list[str]:
    per_request = []
    for server in servers:
        requests, counts = syscalls(server, args)
        per_request.append({name: count / max(requests, 1) for name, count in counts.items()})
    names = sorted({name for table in per_request for name, value in table.items()
                    if value >= 0.01}, key=lambda n: -max(t.get(n, 0) for t in per_request))
    lines = ["| system call per request | " + " | ".join(s.name for s in servers) + " |",
             "|---|" + "---:|" * len(servers)]
    for name in names + ["all"]:
        cells = [sum(t.values()) if name == "all" else t.get(name, 0.0) for t in per_request]
        lines.append(f"| {name} | " + " | ".join(f"{value:.2f}" for value in cells) + " |")
    return lines


def problems(rows: list[Row]) -> list[str]:
    """What makes the runs wrong, not slow: no requests, socket errors, non-2xx answers."""
    found = []
    for row in rows:
        for number, run in enumerate(row.runs, 1):
            if run.requests == 0:
                found.append(f"{row.name}, round {number}: no requests served")
            bad = {kind: count for kind, count in run.errors.items() if count}
            if bad:
                found.append(f"{row.name}, round {number}: wrk reported {bad}")
    return found


def paired_ratio(row: Row, nginx: Row, what: str) -> float:
    """The median over rounds of row / nginx, each round's runs side by side.

    The runs of one round are seconds apart, so a load that comes and goes
    on a shared machine moves both sides of a ratio more often than it
    moves the two medians alike.
    """
    return statistics.median(getattr(mine, what) / max(getattr(theirs, what), 1e-9)
                             for mine, theirs in zip(row.runs, nginx.runs))


def table(rows: list[Row], nginx: Row) -> list[str]:
    lines = ["| server | requests/s (median) | spread | CPU µs/request (median) | spread "
             "| rps / nginx | CPU / nginx | context switches per request | p99 latency (ms) "
             "| bytes per response | KiB per idle connection |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        rps, cpu = row.median("rps"), row.median("cpu_us_per_request")
        rps_lo, rps_hi = row.spread("rps")
        cpu_lo, cpu_hi = row.spread("cpu_us_per_request")
        idle = row.idle_kib_per_connection
        idle = "—" if idle is None else f"{idle:.2f}"
        lines.append(
            f"| {row.name} | {rps:,.0f} | {rps_lo:,.0f}–{rps_hi:,.0f} | {cpu:.1f} "
            f"| {cpu_lo:.1f}–{cpu_hi:.1f} | {paired_ratio(row, nginx, 'rps'):.2f} "
            f"| {paired_ratio(row, nginx, 'cpu_us_per_request'):.2f} "
            f"| {row.median('switches_per_request'):.2f} "
            f"| {row.median('latency_p99_us') / 1000:.2f} "
            f"| {row.median('bytes_per_response'):.0f} | {idle} |")
    return lines


def verdict(row: Row, nginx: Row) -> str:
    rps = paired_ratio(row, nginx, "rps")
    cpu = paired_ratio(row, nginx, "cpu_us_per_request")
    return (f"{row.name}: requests/s {rps:.3f}x nginx (bar >= {BAR_RPS}: "
            f"{'met' if rps >= BAR_RPS else 'missed'}), CPU per request {cpu:.3f}x nginx "
            f"(bar <= {BAR_CPU}: {'met' if cpu <= BAR_CPU else 'missed'})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path,
                        default=ROOT / "build" / "release" / "solutions" / "07-serve" / "serve",
                        help="the serve program (default build/release/solutions/07-serve/serve)")
    parser.add_argument("--backend", default="epoll",
                        help="serve's backend (default epoll, what nginx uses on Linux)")
    parser.add_argument("--serve-option", action="append", default=[], metavar="OPTION",
                        help="one more option for serve, e.g. --serve-option=--threads=2")
    parser.add_argument("--rounds", type=int, default=9, help="wrk runs per server (default 9)")
    parser.add_argument("--seconds", type=float, default=3, help="each wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=50, help="wrk's -c (default 50)")
    parser.add_argument("--idle", type=int, default=10000,
                        help="idle keep-alive connections for the memory figure (default 10000)")
    parser.add_argument("--keepalive", type=int, default=120,
                        help="seconds every server keeps an idle connection (default 120)")
    parser.add_argument("--path", default="/hello", help="what wrk asks for (default /hello)")
    parser.add_argument("--server-cpu", type=int, default=0, help="the servers' core (default 0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="wrk's core (default 1)")
    parser.add_argument("--no-pin", action="store_true", help="no taskset (a one-core machine)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the 1 s warm-up runs")
    parser.add_argument("--syscalls", action="store_true",
                        help="count system calls per request under strace -c -f instead")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.connections < 1 or args.idle < 0:
        parser.error("--rounds, --seconds and --connections must be positive, --idle >= 0")
    if args.no_pin:
        args.server_cpu = args.client_cpu = None
    elif args.server_cpu == args.client_cpu:
        parser.error("--server-cpu and --client-cpu must differ (or --no-pin)")
    return args


def raise_fd_limit(need: int) -> None:
    """The idle clients live in this process and the servers inherit its limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        raise BenchError(f"the hard limit on open files ({hard}) is below {need}: ulimit -Hn")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join(["bench_serve.py", *(argv if argv is not None else sys.argv[1:])])
    rows = [Row("kit, /hello in the loop"), Row("kit, /hello on the pool"), Row("nginx, 1 worker")]
    load_before = os.getloadavg()[0]
    servers: list[Server] = []
    counted: list[str] = []
    try:
        raise_fd_limit(args.idle + 1024)
        servers = start_servers(args)
        pins = ("unpinned" if args.no_pin else
                f"servers on CPU {args.server_cpu}, wrk on CPU {args.client_cpu}")
        print(f"wrk -t1 -c{args.connections} -d{args.seconds:g}s {args.path}, {pins}; "
              f"{os.cpu_count()} CPUs, load average {load_before:.2f}", file=sys.stderr, flush=True)
        if args.syscalls:
            counted = syscall_table(servers, args)
        else:
            run_rounds(servers, rows, args)
            if args.idle:
                for server, row in zip(servers, rows):
                    row.idle_kib_per_connection = idle_memory(server, args.idle)
    except BenchError as error:
        print(f"bench_serve: {error}", file=sys.stderr)
        return 1
    finally:
        codes = [(server.name, server.stop()) for server in servers]
    status = 0
    for name, code in codes:
        if code != 0:
            print(f"bench_serve: {name} exited with {code} after SIGTERM, not 0", file=sys.stderr)
            status = 1
    if args.syscalls:
        print(f"`{command}`: one wrk -t1 -c{args.connections} -d{args.seconds:g}s run per server "
              f"under strace -c -f (its speed means nothing, its counts do)\n")
        print("\n".join(counted))
        return status
    found = problems(rows)
    for problem in found:
        print(f"bench_serve: {problem}", file=sys.stderr)
    load_after = os.getloadavg()[0]
    print(f"`{command}`: {args.rounds} round(s) of {args.seconds:g} s, wrk -t1 "
          f"-c{args.connections}, {args.idle} idle connections; {os.cpu_count()} CPUs, load "
          f"average {load_before:.2f} before, {load_after:.2f} after, "
          f"{time.strftime('%Y-%m-%d')}\n")
    for line in table(rows, rows[-1]):
        print(line)
    print()
    for row in rows[:-1]:
        print(verdict(row, rows[-1]))
    return 1 if found or status else 0


if __name__ == "__main__":
    sys.exit(main())
