#!/usr/bin/env python3
"""bench-chat: fan-out and memory of each chat server, side by side (lesson 8).

For each client count (1,000 and 10,000 by default) and each chat server
(tests/harness/chat_server.py: the Node.js reference today, the kit's own
through KIT_CHAT_SERVER), starts a fresh server and runs longpoll-load on it:
N clients park on the next message, one POST, and the time until the last of
them has its answer (median over the rounds), and the server's memory per
parked client (VmRSS before the clients connect and once they are parked).

    cmake --preset release && cmake --build --preset release --target bench-chat
    # or: /usr/bin/python3 tools/bench_chat/bench_chat.py --load build/release/tools/bench_chat/longpoll-load

A benchmark, not a test: it prints figures and asserts nothing about them.
It fails (exit 1) only when a server breaks the contract: a client without
exactly one right answer, or parked clients that are not dropped. Its smoke
run (bench-chat.smoke: 100 clients, 2 rounds, 20 dropped) is a CTest test.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "harness"))

from chat_server import ChatServer, server_commands  # noqa: E402


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", required=True, help="the longpoll-load program")
    parser.add_argument("--clients", default="1000,10000",
                        help="comma-separated client counts (default 1000,10000)")
    parser.add_argument("--rounds", type=int, default=5, help="fan-outs per server and count")
    parser.add_argument("--close", type=int, default=0,
                        help="parked clients to close in the first round (checks they are dropped)")
    parser.add_argument("--servers", nargs="*", help="which servers (default: all known)")
    parser.add_argument("--time-limit", type=int, default=300,
                        help="seconds for each load run (default 300)")
    options = parser.parse_args(argv)
    try:
        options.clients = [int(n) for n in options.clients.split(",")]
    except ValueError:
        parser.error(f"--clients: '{options.clients}' is not a list of numbers")
    known = server_commands()
    options.servers = options.servers or list(known)
    for name in options.servers:
        if name not in known:
            parser.error(f"unknown server '{name}' (known: {', '.join(known)})")
    return options


def raise_fd_limit(clients: int) -> None:
    """Each side holds one fd per client: raise the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard != resource.RLIM_INFINITY and hard < clients + 100:
        sys.exit(f"bench-chat: {clients} clients need {clients + 100} fds; ulimit -n allows {hard}")


def measure(options, name: str, command: list[str], clients: int) -> dict | None:
    # The long-poll timeout must not release anyone while the clients park.
    with ChatServer(command, poll_timeout_s=options.time_limit) as server:
        load = [options.load, "--port", str(server.port), "--clients", str(clients),
                "--rounds", str(options.rounds), "--close", str(options.close),
                "--pid", str(server.pid), "--time-limit", str(options.time_limit)]
        run = subprocess.run(load, capture_output=True, text=True, timeout=options.time_limit + 30)
        for line in run.stdout.splitlines():
            if not line.startswith("result "):
                print(f"  {name}, {clients}: {line}")
        if run.returncode != 0:
            print(f"bench-chat: {name} with {clients} clients FAILED (exit {run.returncode})"
                  f"\n{run.stderr}server's stderr:\n{server.stderr()}", file=sys.stderr)
            return None
        result_line = next(line for line in run.stdout.splitlines() if line.startswith("result "))
        return json.loads(result_line.removeprefix("result "))


def table(options, results: dict) -> None:
    reference = options.servers[0]
    print(f"\n{'clients':>8} {'server':<8} {'fan-out, median':>16} {'rounds (ms)':<36}"
          f" {'bytes/parked':>12} {'threads':>7}")
    for clients in options.clients:
        for name in options.servers:
            r = results.get((name, clients))
            if r is None:
                print(f"{clients:>8} {name:<8} {'failed':>16}")
                continue
            rounds = " ".join(f"{ms:.1f}" for ms in r["fanout_ms"])
            print(f"{clients:>8} {name:<8} {r['fanout_median_ms']:>13.2f} ms {rounds:<36}"
                  f" {r['bytes_per_parked']:>12,.0f} {r['threads']:>7}")
    # Each figure above includes what the server spends once on its first
    # clients (code compiled, buffers grown); the difference between two
    # counts is the cost of one more parked client alone.
    low, high = min(options.clients), max(options.clients)
    for name in options.servers if high > low else []:
        at_low, at_high = results.get((name, low)), results.get((name, high))
        if at_low and at_high:
            extra = (at_high["rss_parked_kib"] - at_low["rss_parked_kib"]) * 1024 / (high - low)
            print(f"{name}: each parked client beyond {low:,} costs {extra:,.0f} bytes")
    for name in options.servers[1:]:
        for clients in options.clients:
            mine, theirs = results.get((name, clients)), results.get((reference, clients))
            if mine and theirs:
                print(f"{name} / {reference} at {clients}: fan-out "
                      f"{mine['fanout_median_ms'] / theirs['fanout_median_ms']:.2f}x, memory per "
                      f"parked client {mine['bytes_per_parked'] / theirs['bytes_per_parked']:.2f}x")


def main(argv=None) -> int:
    options = parse_arguments(argv)
    raise_fd_limit(max(options.clients))
    results = {}
    for clients in options.clients:
        for name in options.servers:
            result = measure(options, name, server_commands()[name], clients)
            if result is not None:
                results[(name, clients)] = result
    table(options, results)
    failed = len(options.clients) * len(options.servers) - len(results)
    if failed:
        print(f"bench-chat: {failed} run(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
