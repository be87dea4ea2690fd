"""Runs a fetch program and reads its report and trace, as every stage's tests do.

The fetch contract (lessons/00-blocking.md) fixes what a fetch program
prints: one line per target in the order they finish,

    ok URL STATUS BYTES MS      or      fail URL REASON MS

then `total MS ok=N fail=M`. run_fetch() starts the program named by the
KIT_FETCH environment variable (CTest sets it to the solution's or the
learner's build), checks that the output follows the contract, and returns
a Run with the lines and the trace (Chrome Trace Event Format) parsed.
A broken contract fails the test with a message saying what was expected.
A program that outlives its deadline fails a few seconds after it, with the
system call it was blocked in (hang_diagnosis()), not after a minute.

From stage 2 on, an earlier stage's tests also run against a later stage's
program, once per backend: CTest sets KIT_FETCH_ARGS (e.g. `--backend poll`),
which goes first on every command line, and KIT_BACKEND (`poll`), for the
few tests whose expectations depend on the backend (fetch_backend()).

The appendix runs stage 1's and stage 5's tests against programs written
in other event libraries (src/elsewhere/): CTest sets KIT_ELSEWHERE to the
library's name (`libev`, `poe`, ...). Such a program has no --backend
option (backend_args()), and its library chooses how it waits (elsewhere()).
"""
from __future__ import annotations

import json
import os
import re
import resource
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

REASONS = {"refused", "timeout", "reset", "bad-response", "too-large", "resolve", "io",
           "fd-limit", "connect-timeout", "idle-timeout"}
# How long past its deadline a program may run before it counts as hung. The
# deadline is --timeout for the whole run from stage 1 on, and for each call of
# each target in stage 0, so a run may take timeout x targets; the grace covers
# start-up and sanitizers. Without --timeout: NO_TIMEOUT_LIMIT_SECONDS.
HANG_GRACE_SECONDS = 8.0
NO_TIMEOUT_LIMIT_SECONDS = 60.0

# /proc/PID/syscall gives a number; the names of the calls a fetch can block in.
SYSCALL_NAMES = {
    "x86_64": {0: "read", 1: "write", 7: "poll", 23: "select", 34: "pause", 35: "nanosleep",
               42: "connect", 43: "accept", 44: "sendto", 45: "recvfrom", 46: "sendmsg",
               47: "recvmsg", 61: "wait4", 202: "futex", 230: "clock_nanosleep",
               232: "epoll_wait", 270: "pselect6", 271: "ppoll", 281: "epoll_pwait",
               288: "accept4", 441: "epoll_pwait2"},
    "aarch64": {22: "epoll_pwait", 63: "read", 64: "write", 72: "pselect6", 73: "ppoll",
                98: "futex", 101: "nanosleep", 115: "clock_nanosleep", 202: "accept",
                203: "connect", 206: "sendto", 207: "recvfrom", 211: "sendmsg",
                212: "recvmsg", 242: "accept4", 260: "wait4", 441: "epoll_pwait2"},
}

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")

OK_LINE = re.compile(r"ok (\S+) (\d{3}) (\d+) (\d+)")
FAIL_LINE = re.compile(r"fail (\S+) (\S+) (\d+)")
TOTAL_LINE = re.compile(r"total (\d+) ok=(\d+) fail=(\d+)")


@dataclass
class Line:
    """One target's report line."""
    kind: str                 # "ok" or "fail"
    url: str
    ms: int                   # when it finished, ms since the program started
    status: int | None = None  # ok lines only
    bytes: int | None = None   # ok lines only
    reason: str | None = None  # fail lines only


@dataclass
class Run:
    """One finished run of a fetch program."""
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    # CPU time (user + system) the program used, from getrusage(RUSAGE_CHILDREN)
    # around its run: right as long as the test runs one program at a time.
    cpu_seconds: float = 0.0
    lines: list[Line] = field(default_factory=list)
    total_ms: int | None = None
    trace: dict | None = None

    def line(self, url: str) -> Line:
        """The report line of `url`."""
        for line in self.lines:
            if line.url == url:
                return line
        raise AssertionError(f"expected a report line for {url}, got:\n{self.stdout}")

    def finish_order(self) -> list[str]:
        """The URLs in the order their lines were printed (the order they finished)."""
        return [line.url for line in self.lines]

    def trace_events(self, category: str) -> list[dict]:
        """Trace events of one category ("target", "milestone" or "loop")."""
        assert self.trace is not None, "expected a trace (run with trace=True)"
        return [e for e in self.trace["traceEvents"] if e.get("cat") == category]

    def span(self, url: str) -> tuple[float, float]:
        """(start_ms, end_ms) of a target's span in the trace."""
        for event in self.trace_events("target"):
            if event["name"] == url:
                return event["ts"] / 1000, (event["ts"] + event["dur"]) / 1000
        raise AssertionError(f"expected a trace span for {url}")

    def milestones(self, url: str) -> dict[str, float]:
        """Milestone name -> ms of one target, from the trace."""
        lane = self._lane(url)
        return {e["name"]: e["ts"] / 1000
                for e in self.trace_events("milestone") if e["tid"] == lane}

    def waits(self) -> list[dict]:
        """The loop's wait events, in time order."""
        return sorted(self.trace_events("loop"), key=lambda e: e["ts"])

    def _lane(self, url: str) -> int:
        for event in self.trace["traceEvents"]:
            if event.get("ph") == "M" and event["args"].get("name") == url:
                return event["tid"]
        raise AssertionError(f"expected a trace lane named {url}")


def fetch_backend() -> str | None:
    """The backend the program runs on (KIT_BACKEND), None when it has no choice."""
    return os.environ.get("KIT_BACKEND") or None


def elsewhere() -> str | None:
    """The library of an appendix program under test (KIT_ELSEWHERE), None for the kit's."""
    return os.environ.get("KIT_ELSEWHERE") or None


def backend_args(backend: str) -> list[str]:
    """The options that choose `backend`: none for an appendix program, whose
    library has its own way to wait (its "backend" is the library's name)."""
    return [] if elsewhere() else ["--backend", backend]


def backends_under_test(default: list[str]) -> list[str]:
    """The backends a stage's own tests run on: the stage's BACKENDS in
    tests/CMakeLists.txt (KIT_BACKENDS), or `default` when run by hand."""
    return os.environ.get("KIT_BACKENDS", "").split() or default


def fetch_program() -> str:
    """The fetch program under test, from KIT_FETCH."""
    path = os.environ.get("KIT_FETCH")
    assert path, "KIT_FETCH is not set: run these tests through ctest or ./kit check"
    assert os.access(path, os.X_OK), f"KIT_FETCH={path} is not an executable: build it first"
    return path


class Running:
    """A fetch program started in the background, so a test can look at it
    (/proc) or signal it while it runs; finish() waits for it and checks the
    contract. run_fetch() is the one-call form."""

    def __init__(self, urls: list[str], *, timeout: float | None = None, args: list[str] = (),
                 trace: bool = True, prefix: list[str] = ()) -> None:
        self.urls = list(urls)
        self._tmp = tempfile.TemporaryDirectory()
        self._trace_path = os.path.join(self._tmp.name, "trace.json") if trace else None
        self.cmd = list(prefix) + [fetch_program()]
        self.cmd += shlex.split(os.environ.get("KIT_FETCH_ARGS", ""))
        if timeout is not None:
            self.cmd += ["--timeout", str(timeout)]
        if trace:
            self.cmd += ["--trace", self._trace_path]
        self.cmd += list(args) + self.urls
        self.timeout = timeout
        self._started = time.monotonic()
        self._children_cpu_before = _children_cpu_seconds()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def status(self) -> dict[str, str] | None:
        """The fields of /proc/PID/status ("Threads" -> "1"), or None once it has ended."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="utf-8") as f:
                text = f.read()
        except (FileNotFoundError, ProcessLookupError):
            return None
        if not self.running():  # a zombie's status is no longer the program's
            return None
        return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)

    def wait_for_signal_mask(self, field: str, bit: int, limit_s: float = 5) -> bool:
        """Waits until /proc/PID/status `field` (SigIgn, SigCgt) has `bit`: main() has
        installed its signal handlers. False if the program ended first."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            fields = self.status()
            if fields is None:
                return False
            if int(fields[field].strip(), 16) & bit:
                return True
            time.sleep(0.005)
        return False

    def deadline_limit(self) -> float:
        """The longest a working program may run: timeout x targets + a grace."""
        if self.timeout is None:
            return NO_TIMEOUT_LIMIT_SECONDS
        return self.timeout * max(1, len(self.urls)) + HANG_GRACE_SECONDS

    def finish(self, time_limit: float | None = None, check_contract: bool = True) -> Run:
        """Waits for the program to end (at most `time_limit` s, by default
        deadline_limit()) and returns its Run, with the report checked against
        the contract and the trace parsed. A program still running then is hung:
        the test fails with what it was blocked in."""
        limit = self.deadline_limit() if time_limit is None else time_limit
        try:
            stdout, stderr = self.proc.communicate(timeout=max(0.0, limit - self.elapsed()))
        except subprocess.TimeoutExpired:
            blocked = hang_diagnosis(self.pid)
            self.proc.kill()
            self.proc.communicate()
            deadline = "" if self.timeout is None else \
                f" (--timeout {self.timeout:g} for {len(self.urls)} target(s))"
            raise AssertionError(
                f"the program hung: still running after {limit:g} s{deadline}; it was "
                f"{blocked}. Something waits without a deadline. Command: {self.cmd}") from None
        run = Run(self.cmd, self.proc.returncode, stdout, stderr,
                  time.monotonic() - self._started,
                  cpu_seconds=_children_cpu_seconds() - self._children_cpu_before)
        for mark in SANITIZER_MARKS:
            assert mark not in run.stderr, f"sanitizer report:\n{run.stderr}"
        assert run.returncode >= 0, \
            f"expected the program to exit, got killed by signal {-run.returncode}; " \
            f"stderr: {run.stderr!r}"
        if check_contract:
            check_report(run, self.urls)
            if self._trace_path:
                with open(self._trace_path, encoding="utf-8") as f:
                    run.trace = json.load(f)
        return run

    def close(self) -> None:
        if self.running():
            self.proc.kill()
        self.proc.communicate()
        self._tmp.cleanup()

    def __enter__(self) -> "Running":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _children_cpu_seconds() -> float:
    """User + system CPU time of every child process this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def hang_diagnosis(pid: int) -> str:
    """What a running process waits in: 'blocked in the system call recvfrom
    (kernel: sk_wait_data)', from /proc/PID/syscall and /proc/PID/wchan."""
    try:
        with open(f"/proc/{pid}/syscall", encoding="ascii") as f:
            fields = f.read().split()
    except OSError:
        fields = []
    try:
        with open(f"/proc/{pid}/wchan", encoding="ascii") as f:
            wchan = f.read().strip()
    except OSError:
        wchan = ""
    kernel = f" (kernel: {wchan})" if wchan and wchan != "0" else ""
    if not fields:
        return "running (its system call cannot be read here)" + kernel
    if fields[0] == "running":
        return "running, in no system call: a loop that never waits?"
    if fields[0].lstrip("-").isdigit() and int(fields[0]) >= 0:
        number = int(fields[0])
        name = SYSCALL_NAMES.get(os.uname().machine, {}).get(number, f"number {number}")
        return f"blocked in the system call {name}{kernel}"
    return "blocked" + kernel


def wait_until(condition, limit_s: float = 5) -> bool:
    """Polls `condition` until it holds (True) or `limit_s` seconds pass (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def run_fetch(urls: list[str], *, timeout: float | None = None, args: list[str] = (),
              trace: bool = True, time_limit: float | None = None, check_contract: bool = True,
              prefix: list[str] = ()) -> Run:
    """Runs the fetch program on `urls` and returns what it did.

    `timeout` becomes --timeout; `args` are passed before the URLs; with
    `trace` the trace is written to a temporary file and parsed; `prefix`
    is a command that runs the program (e.g. one that sets limits first).
    `time_limit` bounds the whole run (default: Running.deadline_limit()):
    a hung program fails the test, saying what it was blocked in.
    """
    with Running(urls, timeout=timeout, args=args, trace=trace, prefix=prefix) as program:
        return program.finish(time_limit, check_contract)


def check_report(run: Run, urls: list[str]) -> None:
    """Fills run.lines and run.total_ms, failing on anything off-contract."""
    text = run.stdout.splitlines()
    assert text, f"expected report lines on stdout, got none (exit {run.returncode}, " \
                 f"stderr: {run.stderr.strip()!r})"
    for raw in text[:-1]:
        if m := OK_LINE.fullmatch(raw):
            run.lines.append(Line("ok", m[1], int(m[4]), status=int(m[2]), bytes=int(m[3])))
        elif m := FAIL_LINE.fullmatch(raw):
            assert m[2] in REASONS, f"expected a REASON from {sorted(REASONS)}, got {raw!r}"
            run.lines.append(Line("fail", m[1], int(m[3]), reason=m[2]))
        else:
            raise AssertionError(f"expected `ok URL STATUS BYTES MS` or `fail URL REASON MS`, "
                                 f"got {raw!r}")
    total = TOTAL_LINE.fullmatch(text[-1])
    assert total, f"expected `total MS ok=N fail=M` as the last line, got {text[-1]!r}"
    run.total_ms = int(total[1])
    assert sorted(run.finish_order()) == sorted(urls), \
        f"expected one line per target {urls}, got lines for {run.finish_order()}"
    oks = sum(line.kind == "ok" for line in run.lines)
    assert (int(total[2]), int(total[3])) == (oks, len(urls) - oks), \
        f"expected ok={oks} fail={len(urls) - oks} in {text[-1]!r}"
    expected_exit = 0 if oks == len(urls) else 1
    assert run.returncode == expected_exit, \
        f"expected exit status {expected_exit}, got {run.returncode}; stderr: {run.stderr!r}"


def interrupt_while_running(program: Running, every_s: float, limit: int,
                            until=lambda: False) -> int:
    """Sends SIGUSR1 to `program` every `every_s` seconds until it ends or
    `until()` is true, at most `limit` times, and returns how many were
    sent. The first signal must not
    come before main() has installed its handler, or it kills the program:
    on Linux this waits for the handler (/proc); elsewhere the caller must
    first see the program connect (fetch_main() installs it before any connect)."""
    if os.path.exists(f"/proc/{program.pid}/status"):
        assert program.wait_for_signal_mask("SigCgt", 1 << (int(signal.SIGUSR1) - 1)), \
            "expected the program to catch SIGUSR1 (SigCgt in /proc/PID/status), got it not caught"
    sent = 0
    while sent < limit and program.running() and not until():
        program.proc.send_signal(signal.SIGUSR1)
        sent += 1
        time.sleep(every_s)
    return sent
