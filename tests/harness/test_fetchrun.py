"""Tests of the runner's own measurements (fetchrun.py), with Python as the program.

The idle-loop check (contract.check_an_idle_loop_sleeps) trusts
Run.cpu_seconds: here a program that burns a known amount of CPU and then
sleeps must be measured as about that, and well under its wall time.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fetchrun import Running  # noqa: E402  (the path above must come first)

BURN_S = 0.3
SLEEP_S = 0.5
BURN_THEN_SLEEP = f"""
import time
start = time.process_time()
while time.process_time() - start < {BURN_S}:
    pass
time.sleep({SLEEP_S})
"""


def test_cpu_seconds_counts_the_programs_cpu_time_not_its_sleep(monkeypatch):
    monkeypatch.setenv("KIT_FETCH", sys.executable)
    monkeypatch.delenv("KIT_FETCH_ARGS", raising=False)
    with Running([], args=["-c", BURN_THEN_SLEEP], trace=False) as program:
        run = program.finish(time_limit=30, check_contract=False)
    assert run.returncode == 0, f"expected the program to succeed, got {run.stderr!r}"
    assert run.cpu_seconds >= BURN_S, \
        f"expected at least the {BURN_S} s of CPU it burned, got {run.cpu_seconds:.3f} s"
    assert run.cpu_seconds <= run.wall_seconds - 0.8 * SLEEP_S, \
        f"expected its {SLEEP_S} s of sleep not to count, got {run.cpu_seconds:.3f} s CPU " \
        f"in {run.wall_seconds:.3f} s"
