"""servers: the HTTP servers bench_serve.py measures, started, watched and stopped.

Two kinds, one interface (Server): the kit's `serve` (stage 7, lesson 7),
and nginx as the yardstick, with a configuration of its own written to a
temporary folder (one worker, no access log, the same bytes on /hello as
the kit's). Each is started under `taskset -c CPU`, so that it and all its
threads run on one core while the load generator runs on the other.

A Server knows the process that does the serving (`pid`: serve itself;
nginx's worker, not its master) and reads that process's CPU time and
resident memory from /proc, the same way for both. Linux only (/proc,
taskset). Standard library only; used by bench_serve.py alone.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_LIMIT_S = 10  # a server that is not listening by then has failed to start
STOP_LIMIT_S = 15  # serve lets requests in flight finish before it exits
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
LISTENING = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+)/)$")


class BenchError(Exception):
    """Something that makes the measurement meaningless (exit 1, with this message)."""


class Server:
    """A running server: its name, its base URL and the pid of the process that serves."""

    def __init__(self, name: str, process: subprocess.Popen, url: str, pid: int,
                 workdir: tempfile.TemporaryDirectory) -> None:
        self.name = name
        self.process = process  # what we started (serve; nginx's master)
        self.url = url  # "http://127.0.0.1:PORT/"
        self.pid = pid  # the process that answers: its CPU and memory are measured
        self.workdir = workdir  # its output and, for nginx, its configuration

    def cpu_seconds(self) -> float:
        """User + system CPU time of the serving process, all its threads (/proc/PID/stat)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; field 3 is fields[0]
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / TICKS_PER_S

    def context_switches(self) -> int:
        """Voluntary and involuntary context switches of all the serving process's threads."""
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                status = (task / "status").read_text(encoding="ascii")
            except FileNotFoundError:  # a thread that ended meanwhile
                continue
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
        return total

    def rss_kib(self) -> int:
        """VmRSS of the serving process in KiB (/proc/PID/status)."""
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise BenchError(f"{self.name}: no VmRSS in /proc/{self.pid}/status")

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """What the server wrote to stdout and stderr (for an error message)."""
        parts = [p.read_text(errors="replace").strip()
                 for p in (Path(self.workdir.name) / "stdout", Path(self.workdir.name) / "stderr")
                 if p.exists()]
        return "\n".join(part for part in parts if part)

    def stop(self) -> int | None:
        """SIGTERM, then wait; returns the exit code (None if it had to be killed)."""
        code = None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=STOP_LIMIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        else:
            code = self.process.returncode
        self.workdir.cleanup()
        return code


def pinned(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def start_kit(name: str, program: Path, options: list[str], cpu: int | None) -> Server:
    """Starts `serve OPTIONS --port 0` and waits for its first line, which names its port.

    Its stdout and stderr go to files, not pipes, so a chatty server never
    blocks on a pipe nobody reads during a run.
    """
    if not os.access(program, os.X_OK):
        raise BenchError(f"{program} is not built: cmake --preset release && "
                         f"cmake --build --preset release --target solution-07")
    workdir = tempfile.TemporaryDirectory(prefix="bench-serve-")
    out_path, err_path = Path(workdir.name) / "stdout", Path(workdir.name) / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(pinned(cpu, [str(program), *options, "--port", "0"]),
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    server = Server(name, process, "", process.pid, workdir)  # taskset execs: same pid
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline and server.alive():
        first = out_path.read_text(errors="replace").partition("\n")
        match = LISTENING.match(first[0]) if first[1] else None
        if match:
            server.url = match.group(1)
            return server
        time.sleep(0.02)
    detail = server.output() or "no output"
    server.stop()
    raise BenchError(f"{name}: no 'listening on http://127.0.0.1:PORT/' line within "
                     f"{START_LIMIT_S} s ({detail.splitlines()[-1]})")


NGINX_CONF = """\
# Written by tools/bench_serve/servers.py for one benchmark run.
worker_processes 1;
worker_rlimit_nofile {nofile};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{
    # nginx closes idle keep-alive connections, 32 at a time, once fewer than a
    # sixteenth of these are free (ngx_drain_connections): twice what we open.
    worker_connections {connections};
}}
http {{
    access_log off;
    keepalive_timeout {keepalive_s}s;
    keepalive_requests 1000000000;  # the default 1000 reconnects wrk's clients; serve never does
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /hello {{
            default_type "{content_type}";
            return 200 "{body}";
        }}
    }}
}}
"""


def nginx_string(data: bytes) -> str:
    """Bytes as an nginx double-quoted string: printable ASCII, escapes as nginx reads them."""
    if b"$" in data:
        raise BenchError("a '$' in the body: nginx would read it as a variable")
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for byte in data:
        char = chr(byte)
        if not (0x20 <= byte < 0x7F or char in escapes):
            raise BenchError(f"nginx cannot be given byte {byte:#x} of the body in its config")
        out.append(escapes.get(char, char))
    return "".join(out)


def free_port() -> int:
    """A port that was free a moment ago (nginx cannot listen on port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The child processes of pid (/proc/PID/task/PID/children)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    return [int(word) for word in text.split()]


def start_nginx(body: bytes, content_type: str, cpu: int | None, connections: int,
                keepalive_s: int) -> Server:
    """nginx with one worker serving `body` on /hello; its worker is the measured process."""
    for _ in range(5):  # the free port may be taken between the probe and nginx's listen
        server = try_nginx(free_port(), body, content_type, cpu, connections, keepalive_s)
        if server:
            return server
    raise BenchError("nginx found no free port in five tries")


def try_nginx(port: int, body: bytes, content_type: str, cpu: int | None, connections: int,
              keepalive_s: int) -> Server | None:
    """nginx on this port, or None if the port was taken."""
    workdir = tempfile.TemporaryDirectory(prefix="bench-serve-nginx-")
    directory = Path(workdir.name)
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        dir=directory, port=port, body=nginx_string(body), content_type=content_type,
        connections=2 * connections + 64, nofile=2 * connections + 256, keepalive_s=keepalive_s),
        encoding="ascii")
    log = directory / "error.log"
    with open(directory / "stdout", "wb") as out, open(directory / "stderr", "wb") as err:
        process = subprocess.Popen(
            pinned(cpu, ["nginx", "-p", str(directory), "-c", str(conf), "-e", str(log)]),
            stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    server = Server("nginx", process, f"http://127.0.0.1:{port}/", process.pid, workdir)
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline and server.alive():
        workers = children(process.pid)
        if workers and listening(port):
            server.pid = workers[0]
            return server
        time.sleep(0.02)
    detail = (log.read_text(errors="replace") if log.exists() else "") + server.output()
    server.stop()
    if "Address already in use" in detail:
        return None
    last = detail.strip().splitlines()[-1] if detail.strip() else "no output"
    raise BenchError(f"nginx did not start within {START_LIMIT_S} s ({last})")


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
