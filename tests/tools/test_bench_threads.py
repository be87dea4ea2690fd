"""thread-fetch and tools/bench_threads.py: lesson 1's thread-per-target comparison.

thread-fetch must be a faithful fetch (the contract's report, every target
ok, finishing in order of readiness, in about the slowest server's time),
and it must really run one thread per target, or lesson 1's numbers would
compare nothing. bench_threads' measure() is checked on both programs: the
threads it counts and the memory it reports must be the fetch process's own.
"""
import importlib.util
import os
import pathlib
from pathlib import Path
import subprocess

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it
THREAD_FETCH = BUILD / "tools" / "thread_fetch" / "thread-fetch"
SELECT_FETCH = BUILD / "solutions" / "01-select" / "fetch"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_threads", REPO / "tools" / "bench_threads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def built():
    for program in (THREAD_FETCH, SELECT_FETCH):
        if not program.is_file():
            pytest.fail(f"{program} is missing: build the thread-fetch and solution-01 targets")


def test_thread_fetch_fetches_in_order_of_readiness_in_about_the_slowest_time(servers):
    urls = [servers.delayed(600), servers.delayed(400), servers.delayed(200)]
    result = subprocess.run([str(THREAD_FETCH), "--timeout", "5", *urls],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines[:3]] == list(reversed(urls)), result.stdout
    total_ms = int(lines[-1].split()[1])
    assert 600 <= total_ms < 1100, f"expected about the slowest server (600 ms), not the sum: {total_ms}"


def test_a_failing_target_fails_alone(servers):
    urls = [servers.refused(), servers.delayed(100)]
    result = subprocess.run([str(THREAD_FETCH), "--timeout", "5", *urls],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"fail {urls[0]} refused" in result.stdout
    assert f"ok {urls[1]} 200" in result.stdout


ON_LINUX = pathlib.Path("/proc/self/status").is_file()
needs_proc = pytest.mark.skipif(not ON_LINUX, reason="bench_threads samples /proc/PID/status (Linux)")


@needs_proc
def test_measure_counts_one_thread_per_target_and_one_for_the_loop(servers):
    bench = load_bench()
    # A second's delay keeps all 20 threads alive at once, even when a
    # sanitizer makes starting them slow.
    url = servers.delayed(1000)
    threads = bench.measure(THREAD_FETCH, [url] * 20)
    loop = bench.measure(SELECT_FETCH, [url] * 20)
    # ThreadSanitizer starts a background thread of its own in a program
    # that makes threads.
    extra = 1 if "tsan" in str(BUILD) else 0
    assert 21 <= threads["threads"] <= 21 + extra, threads
    assert loop["threads"] == 1, loop
    # The fetch process's own memory, a few MiB, not the Python process it came from.
    for run in (threads, loop):
        assert 0.5 < run["rss"] < 100, run
        assert 0.9 < run["wall"] < 10, run


@needs_proc
def test_the_benchmark_runs_end_to_end_and_writes_its_medians(tmp_path, capsys):
    bench = load_bench()
    out = tmp_path / "threads.json"
    assert bench.main(["--build-dir", str(BUILD), "--sizes", "2,5", "--rounds", "1",
                       "--delay-ms", "100", "--json", str(out)]) == 0
    import json
    medians = json.loads(out.read_text())["medians"]
    cells = {(m["program"], m["targets"]): m for m in medians}
    assert set(cells) == {("threads", 2), ("select", 2), ("threads", 5), ("select", 5)}
    assert cells[("threads", 5)]["threads"] >= 6 and cells[("select", 5)]["threads"] == 1
    assert "targets  program" in capsys.readouterr().out
