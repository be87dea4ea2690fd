"""Tests of the learner CLI (tools/kit.py and tools/kitcli/), the demo
(tools/demo.py), gantt.py, tools/setup.sh and the harness's hang detection.

Most tests run kit.py in a small throwaway tree (two stages with lessons,
hints and solutions) that the `tree` fixture builds in a temporary folder:
kit.py finds its stages relative to its own file, so a copy of it works on
the copy of the tree. `check`, `watch` and `demo` get stand-ins for cmake
and ctest on PATH that print canned output, so no test here builds anything.

Run: /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/tools
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.dont_write_bytecode = True  # no __pycache__ in tools/
REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
sys.path.insert(0, str(TOOLS))

import gantt  # noqa: E402  (needs the path set above)

HINTS_0 = """\
# Stage 0 hints

Read them one at a time.

## Hint 1

Start with send_all().

## Hint 2

Use a loop like this:

```cpp
#include <sys/socket.h>
```

Keep going.

## Not a hint

This section is no hint.
"""

FAILING_CTEST = """\
Test project {root}/build/dev
    Start 6: stage00.exercise.behaviour
1/2 Test #6: stage00.exercise.behaviour .......***Failed    0.83 sec
FF.                                                         [100%]
=================================== FAILURES ===================================
__________________________ test_total_is_the_sum ___________________________
00-blocking/test_blocking.py:35: in test_total_is_the_sum
    assert run.total_ms >= 1800, f"..."
E   AssertionError: expected a total of at least 1800 ms, got 950
E   assert 950 >= 1800
E    +  where 950 = Run(args=['noise']).total_ms
__________________________ test_silent_times_out ___________________________
00-blocking/test_blocking.py:47: in test_silent_times_out
    assert reason == "timeout"
E   AssertionError: expected timeout, got io
E   assert 'io' == 'timeout'
E     - timeout
E     + io
=========================== short test summary info ============================
FAILED 00-blocking/test_blocking.py::test_total_is_the_sum
FAILED 00-blocking/test_blocking.py::test_silent_times_out
2 failed, 1 passed in 0.55s

    Start 7: stage00.exercise.unit.Url.ParsesPort
2/2 Test #7: stage00.exercise.unit.Url.ParsesPort ...   Passed    0.01 sec

50% tests passed, 1 tests failed out of 2

The following tests FAILED:
\t  6 - stage00.exercise.behaviour (Failed)
Errors while running CTest
"""

PASSING_CTEST = """\
Test project {root}/build/dev
    Start 6: stage00.exercise.behaviour
1/1 Test #6: stage00.exercise.behaviour .......   Passed    0.83 sec

100% tests passed, 0 tests failed out of 1
"""

COMPILE_ERROR = """\
[1/2] Building CXX object exercises/CMakeFiles/exercise-00.dir/00-blocking/fetch.cpp.o
FAILED: exercises/CMakeFiles/exercise-00.dir/00-blocking/fetch.cpp.o
/usr/bin/c++ -std=c++20 -Wall -o exercises/fetch.cpp.o -c {root}/exercises/00-blocking/fetch.cpp
{root}/exercises/00-blocking/fetch.cpp:39:22: error: expected ')' before ';' token
   39 | int send_all(int oops; int fd) {{
ninja: build stopped: subcommand failed.
"""

# Stand-in for cmake and ctest: logs its arguments, then behaves as FAKE_MODE says.
FAKE_TOOL = """\
#!{python}
import os, shutil, sys
from pathlib import Path
root = Path.cwd()
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(Path(sys.argv[0]).name + " " + " ".join(sys.argv[1:]) + "\\n")
mode = os.environ.get("FAKE_MODE", "fail")
if Path(sys.argv[0]).name == "ctest":
    if "build/asan" in sys.argv:
        mode = "asan"
    if os.environ.get("FAKE_JUNIT") and mode != "asan":  # what pytest would write
        junit = root / "build" / "dev" / "junit" / "stage00.exercise.behaviour.xml"
        junit.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.environ["FAKE_JUNIT"], junit)
    print(Path(os.environ["FAKE_CTEST_" + mode.upper()]).read_text().format(root=root), end="")
    sys.exit(0 if mode == "pass" else 8)
if sys.argv[1:2] == ["--preset"]:
    (root / "build" / sys.argv[2]).mkdir(parents=True, exist_ok=True)
    (root / "build" / sys.argv[2] / "CMakeCache.txt").write_text("")
elif "--build" in sys.argv and mode == "compile-error":
    print(Path(os.environ["FAKE_COMPILE_ERROR"]).read_text().format(root=root), end="")
    sys.exit(1)
"""


# --- The throwaway tree and how to run kit.py in it -----------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A two-stage kit: lessons, exercises with hints, solutions, and tools/kit.py."""
    root = tmp_path / "kit"
    (root / "tools").mkdir(parents=True)
    shutil.copy(TOOLS / "kit.py", root / "tools" / "kit.py")
    shutil.copytree(TOOLS / "kitcli", root / "tools" / "kitcli",
                    ignore=shutil.ignore_patterns("__pycache__"))
    write(root / "lessons" / "00-blocking.md", "Intro line\n\n# Blocking fetch\n\nText.\n")
    write(root / "lessons" / "01-select.md", "# A raw select loop\n")
    write(root / "exercises" / "00-blocking" / "HINTS.md", HINTS_0)
    write(root / "exercises" / "00-blocking" / "fetch.cpp", "int main() {\n    return 1;  // TODO\n}\n")
    write(root / "exercises" / "01-select" / "fetch.cpp", "int main() { return 1; }\n")
    write(root / "solutions" / "00-blocking" / "fetch.cpp", "int main() {\n    return 0;\n}\n")
    write(root / "solutions" / "01-select" / "fetch.cpp", "int main() { return 0; }\n")
    (root / "exercises" / "not-a-stage").mkdir()
    return root


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def kit_env(extra: dict | None = None) -> dict:
    env = dict(os.environ, NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1", COLUMNS="100")
    env.update(extra or {})
    return env


def run_kit(root: Path, *args: str, env: dict | None = None, stdin: str = "",
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "tools" / "kit.py"), *args],
                          cwd=root, input=stdin, capture_output=True, text=True,
                          env=env or kit_env(), timeout=timeout)


def progress(root: Path) -> dict:
    return json.loads((root / "build" / "kit-progress.json").read_text())


def mark_passed(root: Path, slug: str) -> None:
    write(root / "build" / "kit-progress.json", json.dumps(
        {"stages": {slug: {"last_check": "passed", "ever_passed": True}}}))


@pytest.fixture
def fake_tools(tree: Path, tmp_path: Path) -> dict:
    """PATH with stand-ins for cmake and ctest; returns the environment to run kit with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("cmake", "ctest"):
        tool = bin_dir / name
        tool.write_text(FAKE_TOOL.format(python=sys.executable))
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    outputs = {"FAKE_CTEST_FAIL": FAILING_CTEST, "FAKE_CTEST_PASS": PASSING_CTEST,
               "FAKE_CTEST_COMPILE-ERROR": FAILING_CTEST, "FAKE_COMPILE_ERROR": COMPILE_ERROR}
    env = {"FAKE_LOG": str(tmp_path / "calls.log"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for variable, text in outputs.items():
        path = tmp_path / (variable.lower() + ".txt")
        path.write_text(text)
        env[variable] = str(path)
    return env


def calls(env: dict) -> list[str]:
    return Path(env["FAKE_LOG"]).read_text().splitlines()


# --- Unknown commands, stages and options --------------------------------


def test_unknown_command_exits_2_with_one_line_on_stderr(tree):
    result = run_kit(tree, "frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown command 'frobnicate'" in lines[0]


@pytest.mark.parametrize("args", [["check", "9"], ["hint", "42"], ["solution", "nope"],
                                  ["watch", "03-epoll"], ["reset", "7", "--yes"]])
def test_unknown_stage_exits_2_and_names_the_stages(tree, args):
    result = run_kit(tree, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"no stage '{args[1]}'" in lines[0] and "00-blocking" in lines[0]


def test_unknown_option_and_missing_stage_exit_2(tree):
    assert run_kit(tree, "hint", "0", "--bogus").returncode == 2
    assert run_kit(tree, "solution").returncode == 2


def test_help_lists_every_command(tree):
    result = run_kit(tree, "--help")
    assert result.returncode == 0
    for command in ("list", "check", "hint", "watch", "solution", "reset", "doctor", "demo", "test"):
        assert f"  {command}" in result.stdout


# --- list -------------------------------------------------------------------


def stage_line(output: str, nn: str) -> str:
    return next(line for line in output.splitlines() if f" {nn}  " in line)


def test_list_shows_stages_titles_progress_and_the_next_one(tree):
    result = run_kit(tree, "list")
    assert result.returncode == 0, result.stderr
    assert "Blocking fetch" in stage_line(result.stdout, "00")  # first '# ' heading
    assert "A raw select loop" in stage_line(result.stdout, "01")
    assert "not-a-stage" not in result.stdout
    assert "not checked yet" in stage_line(result.stdout, "01")
    assert "next" in stage_line(result.stdout, "00")
    assert "0/2 stages" in result.stdout

    mark_passed(tree, "00-blocking")
    result = run_kit(tree, "list")
    assert "passed" in stage_line(result.stdout, "00")
    assert "next" in stage_line(result.stdout, "01")
    assert "next" not in stage_line(result.stdout, "00")
    assert "1/2 stages" in result.stdout


def test_the_next_step_names_the_given_code_to_read_not_the_solutions(tree):
    """A learner reads src/stages/NN-name/ and writes exercises/; the key is never named."""
    result = run_kit(tree, "list")
    assert "Next: read lessons/00-blocking.md, then ./kit check 0" in result.stdout, \
        result.stdout  # stage 0 gives no code of its own
    write(tree / "src" / "stages" / "01-select" / "connection.hpp", "#pragma once\n")
    mark_passed(tree, "00-blocking")
    result = run_kit(tree, "list")
    assert ("Next: read lessons/01-select.md (and the given code in src/stages/01-select/), "
            "then ./kit check 1") in result.stdout, result.stdout
    assert "solutions/" not in result.stdout


def test_list_works_on_the_real_tree():
    result = subprocess.run([sys.executable, str(TOOLS / "kit.py"), "list"], cwd=REPO,
                            capture_output=True, text=True, env=kit_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "00" in result.stdout and "stages" in result.stdout
    assert "read lessons/appendix-elsewhere.md" in result.stdout  # the appendix has no check


# --- hint -------------------------------------------------------------------


def test_hint_tiers_advance_and_then_run_out(tree):
    first = run_kit(tree, "hint", "0")
    assert "hint 1 of 2" in first.stdout and "send_all()" in first.stdout
    assert "Use a loop" not in first.stdout
    second = run_kit(tree, "hint", "00")  # another way to name the stage
    assert "hint 2 of 2" in second.stdout
    assert "#include <sys/socket.h>" in second.stdout  # code blocks stay inside the hint
    assert "Keep going." in second.stdout and "no hint" not in second.stdout
    third = run_kit(tree, "hint", "00-blocking")
    assert third.returncode == 0
    assert "No more hints" in third.stdout
    assert progress(tree)["stages"]["00-blocking"]["hints_shown"] == 2


def test_hint_all_shows_only_the_hints_seen_so_far(tree):
    assert "not seen any hint" in run_kit(tree, "hint", "0", "--all").stdout
    run_kit(tree, "hint", "0")
    shown = run_kit(tree, "hint", "0", "--all").stdout
    assert "hint 1 of 2" in shown and "hint 2 of 2" not in shown


def test_a_stage_without_hints_says_so(tree):
    result = run_kit(tree, "hint", "1")
    assert result.returncode == 0 and "no hints" in result.stdout


# --- solution and reset -----------------------------------------------------


def test_solution_refuses_before_the_stage_passed(tree):
    result = run_kit(tree, "solution", "0")
    assert result.returncode == 1
    assert "--force" in result.stdout
    assert "return 0;" not in result.stdout  # nothing of the solution shown


def test_solution_shows_the_diff_after_passing_or_with_force(tree):
    forced = run_kit(tree, "solution", "0", "--force")
    mark_passed(tree, "00-blocking")
    after = run_kit(tree, "solution", "0")
    for result in (forced, after):
        assert result.returncode == 0, result.stderr
        assert "-    return 1;  // TODO" in result.stdout
        assert "+    return 0;" in result.stdout
        assert "HINTS.md" not in result.stdout  # hints are not part of the solution


@needs_git
def test_reset_refuses_outside_a_git_checkout(tree):
    env = kit_env({"GIT_CEILING_DIRECTORIES": str(tree.parent)})
    result = run_kit(tree, "reset", "0", "--yes", env=env)
    assert result.returncode == 1
    assert "git checkout" in result.stderr


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(cwd: Path, *args: str) -> str:
    env = kit_env(dict(GIT_ENV, GIT_CEILING_DIRECTORIES=str(cwd.parent)))
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def clone(tree: Path) -> Path:
    """The tree committed as shipped, and a learner's clone of it (with origin/main)."""
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "shipped")
    git(tree.parent, "clone", "-q", str(tree), "clone")
    return tree.parent / "clone"


@needs_git
def test_reset_restores_the_shipped_exercise_after_confirmation(clone):
    exercise = clone / "exercises" / "00-blocking" / "fetch.cpp"
    shipped = exercise.read_text()
    exercise.write_text("learner's work\n")

    declined = run_kit(clone, "reset", "0", stdin="n\n")
    assert declined.returncode == 1 and "Nothing changed" in declined.stdout
    assert exercise.read_text() == "learner's work\n"
    accepted = run_kit(clone, "reset", "0", stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert exercise.read_text() == shipped
    again = run_kit(clone, "reset", "0", "--yes")
    assert again.returncode == 0 and "nothing to reset" in again.stdout


@needs_git
@pytest.mark.parametrize("saved_with", [["add"], ["add", "commit"]])
def test_reset_restores_the_shipped_commit_whatever_was_staged_or_committed(clone, saved_with):
    exercise = clone / "exercises" / "00-blocking" / "fetch.cpp"
    shipped = exercise.read_text()
    exercise.write_text("learner's work\n")
    git(clone, "add", "-A")
    if "commit" in saved_with:
        git(clone, "commit", "-q", "-m", "my stage 0")
    result = run_kit(clone, "reset", "0", "--yes")
    assert result.returncode == 0, result.stderr
    assert "exercises/00-blocking/fetch.cpp" in result.stdout  # named as thrown away
    assert exercise.read_text() == shipped
    assert run_kit(clone, "reset", "0", "--yes").stdout.count("nothing to reset") == 1


@needs_git
def test_reset_from_names_the_shipped_commit_where_there_is_no_upstream(tree):
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "shipped")
    shipped_commit = git(tree, "rev-parse", "HEAD")
    exercise = tree / "exercises" / "00-blocking" / "fetch.cpp"
    shipped = exercise.read_text()
    exercise.write_text("learner's work\n")
    git(tree, "commit", "-q", "-am", "mine")
    without = run_kit(tree, "reset", "0", "--yes")
    assert without.returncode == 1 and "--from" in without.stderr
    assert exercise.read_text() == "learner's work\n"
    named = run_kit(tree, "reset", "0", "--yes", "--from", shipped_commit)
    assert named.returncode == 0, named.stderr
    assert exercise.read_text() == shipped


# --- check, with stand-ins for cmake and ctest ------------------------------


def test_check_explains_failures_and_how_to_rerun(tree, fake_tools):
    result = run_kit(tree, "check", env=kit_env(fake_tools))  # no stage: the first not passed
    assert result.returncode == 1
    out = result.stdout
    assert "stage00.exercise.behaviour" in out
    assert "expected a total of at least 1800 ms, got 950" in out
    assert "expected timeout, got io" in out
    assert "where 950" not in out and "- timeout" not in out  # pytest's diff noise left out
    assert "rerun by hand: ctest --test-dir build/dev -R '^stage00\\.exercise\\.behaviour$'" in out
    assert "✗ stage00.exercise.unit.Url.ParsesPort" not in out  # it passed
    assert progress(tree)["stages"]["00-blocking"]["last_check"] == "failing"

    log = calls(fake_tools)
    assert log[0] == "cmake --preset dev"  # configured the first time
    assert log[1] == "cmake --build --preset dev --target exercise-00"
    assert log[2] == "ctest --test-dir build/dev -L ^stage00$ -L ^exercise$ --output-on-failure"


def test_check_shows_compile_errors_without_ninja_noise(tree, fake_tools):
    env = kit_env(dict(fake_tools, FAKE_MODE="compile-error"))
    result = run_kit(tree, "check", "0", env=env)
    assert result.returncode == 1
    assert "doesn't compile yet" in result.stdout
    assert "exercises/00-blocking/fetch.cpp:39:22: error: expected ')'" in result.stdout
    assert str(tree) not in result.stdout  # paths shown relative to the kit
    assert "/usr/bin/c++" not in result.stdout and "ninja: build stopped" not in result.stdout
    assert not any(line.startswith("ctest") for line in calls(fake_tools))
    assert progress(tree)["stages"]["00-blocking"]["detail"] == "doesn't compile"


def test_check_records_a_pass_and_unlocks_the_solution(tree, fake_tools):
    env = kit_env(dict(fake_tools, FAKE_MODE="pass"))
    result = run_kit(tree, "check", "0", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passes" in result.stdout
    assert "./kit solution 0" in result.stdout
    assert "lessons/01-select.md" in result.stdout  # the next lesson
    assert progress(tree)["stages"]["00-blocking"]["last_check"] == "passed"
    assert run_kit(tree, "solution", "0").returncode == 0
    assert "1/2 stages" in run_kit(tree, "list").stdout


def test_watch_rechecks_on_save_and_stops_cleanly_on_ctrl_c(tree, fake_tools):
    process = subprocess.Popen(
        [sys.executable, str(tree / "tools" / "kit.py"), "watch", "0"], cwd=tree,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=kit_env(fake_tools))
    try:
        read_until(process, "Watching exercises/00-blocking/")
        time.sleep(0.3)
        (tree / "exercises" / "00-blocking" / "fetch.cpp").write_text("int main() { return 2; }\n")
        read_until(process, "Watching exercises/00-blocking/")
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=15)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert "Stopped watching." in rest and "Traceback" not in rest
    assert sum(line.startswith("ctest") for line in calls(fake_tools)) == 2


def read_until(process: subprocess.Popen, text: str, limit_s: float = 30) -> str:
    """Read the process's output up to a line containing text (fails after limit_s)."""
    seen = ""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    pytest.fail(f"expected a line with {text!r}, got:\n{seen}")


# --- gantt: trace -> rows -> lines ------------------------------------------


def trace_of(targets: list[tuple[str, float, float, float | None, str]]) -> dict:
    """A trace like a fetch program writes: (url, start ms, end ms, first byte ms, result)."""
    events = [{"ph": "M", "name": "thread_name", "pid": 1, "tid": 0, "args": {"name": "loop"}}]
    for lane, (url, start, end, first_byte, result) in reversed(list(enumerate(targets, 1))):
        events.append({"ph": "X", "cat": "target", "name": url, "pid": 1, "tid": lane,
                       "ts": int(start * 1000), "dur": int((end - start) * 1000),
                       "args": {"result": result}})
        if first_byte is not None:
            events.append({"ph": "i", "s": "t", "cat": "milestone", "name": "first-byte",
                           "pid": 1, "tid": lane, "ts": int(first_byte * 1000)})
    return {"displayTimeUnit": "ms", "traceEvents": events}


BLOCKING = [("http://127.0.0.1:1/a", 0, 1000, 900, "ok 200 10"),
            ("http://127.0.0.1:2/b", 1000, 1600, 1500, "ok 200 10"),
            ("http://127.0.0.1:3/c", 1600, 2000, None, "fail timeout")]


def bar_of(line: str, style: gantt.Style = gantt.ASCII) -> str:
    """The bar area of a chart line: between the two edge characters."""
    first = line.index(style.edge)
    return line[first + 1: line.index(style.edge, first + 1)]


def test_parse_trace_gives_rows_in_command_line_order():
    rows = gantt.parse_trace(trace_of(BLOCKING))
    assert [row.label for row in rows] == [url for url, *_ in BLOCKING]
    assert [(row.start_ms, row.end_ms) for row in rows] == [(s, e) for _, s, e, _, _ in BLOCKING]
    assert [row.first_byte_ms for row in rows] == [900, 1500, None]
    assert [row.ok for row in rows] == [True, True, False]
    assert gantt.end_of(rows) == 2000


def test_render_places_each_bar_in_proportion_to_its_times():
    rows = gantt.parse_trace(trace_of(BLOCKING))
    lines = gantt.render_chart(rows, scale_ms=2000, width=80, style=gantt.ASCII)
    bar_lines = lines[: len(rows)]
    cells = len(bar_of(bar_lines[0]))
    assert all(len(line) <= 80 for line in bar_lines)
    spans = []
    for row, line in zip(rows, bar_lines):
        bar = bar_of(line)
        assert len(bar) == cells
        fill = "#" if row.ok else "."
        start = min(bar.index(c) for c in (fill, "*") if c in bar)
        end = len(bar.rstrip())
        spans.append((start, end))
        # Each edge within one cell of its exact position on a 2000 ms scale.
        assert abs(start - row.start_ms / 2000 * cells) <= 1
        assert abs(end - row.end_ms / 2000 * cells) <= 1
        if row.first_byte_ms is None:
            assert "*" not in bar
        else:
            assert abs(bar.index("*") - row.first_byte_ms / 2000 * cells) <= 1
            assert start <= bar.index("*") < end
        assert set(bar.strip()) <= {fill, "*"}
    # Blocking: each bar starts where the previous one ended, never before.
    for (_, previous_end), (start, _) in zip(spans, spans[1:]):
        assert start >= previous_end
    assert "ok 1.00 s" in bar_lines[0] and "fail timeout 2.00 s" in bar_lines[2]


def test_render_draws_concurrent_targets_from_the_same_column():
    concurrent = [("900", 0, 900, 890, "ok 200 1"), ("600", 0, 600, 590, "ok 200 1"),
                  ("300", 0, 300, 290, "ok 200 1")]
    lines = gantt.render_chart(gantt.parse_trace(trace_of(concurrent)), scale_ms=2000,
                               width=70, style=gantt.ASCII)
    bars = [bar_of(line) for line in lines[:3]]
    assert all(bar.startswith("#") for bar in bars)
    lengths = [len(bar.rstrip()) for bar in bars]
    assert lengths[0] > lengths[1] > lengths[2] > 0


def test_render_axis_labels_the_start_and_the_scale():
    rows = gantt.parse_trace(trace_of(BLOCKING))
    lines = gantt.render_chart(rows, scale_ms=2000, width=80, style=gantt.ASCII)
    axis, labels = lines[-2], lines[-1]
    assert axis.index("+") == lines[0].index("|")  # the axis lines up with the bars
    assert labels.split()[:2] == ["0", "s"] and labels.rstrip().endswith("2 s")


def test_render_keeps_at_least_the_minimum_width():
    rows = gantt.parse_trace(trace_of(BLOCKING))
    lines = gantt.render_chart(rows, scale_ms=2000, width=10, style=gantt.ASCII)
    assert max(len(line) for line in lines[: len(rows)]) == gantt.MIN_WIDTH


def test_charts_with_the_same_outcome_width_put_their_bars_in_the_same_columns():
    short = gantt.parse_trace(trace_of([("s", 0, 2000, None, "fail timeout")]))
    long = gantt.parse_trace(trace_of([("s", 0, 300, None, "fail idle-timeout")]))
    width = max(len(gantt.outcome(row)) for row in short + long)
    bars = [bar_of(gantt.render_chart(rows, 2000, 80, gantt.ASCII, outcome_width=width)[0])
            for rows in (short, long)]
    assert len(bars[0]) == len(bars[1])


# --- demo -------------------------------------------------------------------

FAKE_FETCH = """\
#!{python}
# Stand-in for a fetch program: writes a made-up trace, no network needed.
import json, sys
args = sys.argv[1:]
trace = args[args.index("--trace") + 1]
urls = [a for a in args if a.startswith("http://")]
spans = {spans}
events = []
for lane, (url, (start, end, result)) in enumerate(zip(urls, spans), 1):
    events.append({{"ph": "X", "cat": "target", "name": url, "pid": 1, "tid": lane,
                   "ts": start * 1000, "dur": (end - start) * 1000, "args": {{"result": result}}}})
    print(result.split()[0], url, end)
json.dump({{"traceEvents": events}}, open(trace, "w"))
print("total", max(end for _, end, _ in spans), "ok=3 fail=1")
"""


def install_fetch(build: Path, stage: str, spans: list) -> None:
    program = build / "solutions" / stage / "fetch"
    write(program, FAKE_FETCH.format(python=sys.executable, spans=spans))
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


def test_demo_without_a_build_says_to_build_first(tmp_path):
    result = subprocess.run([sys.executable, str(TOOLS / "demo.py"), "--build-dir", str(tmp_path)],
                            capture_output=True, text=True, env=kit_env(), timeout=60)
    assert result.returncode == 1
    assert "build first" in result.stderr


def test_demo_compares_stage_0_with_the_newest_stage(tmp_path):
    blocking = [(0, 900, "ok 200 1"), (900, 1500, "ok 200 1"), (1500, 1800, "ok 200 1"),
                (1800, 3300, "fail timeout")]
    loop = [(0, 900, "ok 200 1"), (0, 600, "ok 200 1"), (0, 300, "ok 200 1"),
            (0, 1500, "fail timeout")]
    install_fetch(tmp_path, "00-blocking", blocking)
    install_fetch(tmp_path, "01-select", blocking)
    install_fetch(tmp_path, "02-poll", loop)
    result = subprocess.run([sys.executable, str(TOOLS / "demo.py"), "--build-dir", str(tmp_path)],
                            capture_output=True, text=True, env=kit_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Stage 0:" in out and "Stage 2:" in out and "Stage 1:" not in out
    assert f"finished {3300 / 1500:.1f}× sooner" in out
    for label in ("900 ms server", "600 ms server", "300 ms server", "silent server"):
        assert out.count(label) == 2  # one row in each chart
    assert (tmp_path / "demo" / "02-poll.trace.json").is_file()


def demo(build: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(TOOLS / "demo.py"), "--build-dir", str(build), *args]
    return subprocess.run(command, capture_output=True, text=True, env=kit_env(), timeout=120)


def test_demo_says_when_a_program_stopped_before_its_trace_was_whole(tmp_path):
    program = tmp_path / "solutions" / "00-blocking" / "fetch"
    write(program, f"#!{sys.executable}\nimport sys\n"
                   "args = sys.argv[1:]\n"
                   "open(args[args.index('--trace') + 1], 'w').close()  # an empty trace\n"
                   "sys.exit('dispatch() is still a TODO')\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    result = demo(tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("demo: 00-blocking: the program wrote no trace")
    assert "still a TODO" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("stages, args, says", [
    (["00-blocking", "02-poll"], [], "the newest is stage 2"),
    (["00-blocking", "05-timers"], ["--stage", "2"], "not --stage 2"),
])
def test_demo_timeouts_needs_stage_5_or_later(tmp_path, stages, args, says):
    for stage in stages:
        install_fetch(tmp_path, stage, [(0, 100, "ok 200 1")] * 4)
    result = demo(tmp_path, "--timeouts", *args)
    assert result.returncode == 1
    assert result.stderr.startswith("demo: --timeouts needs stage 5 or later")
    assert says in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_demo_timeouts_shows_the_idle_timeout_failing_only_the_silent_server(tmp_path):
    """The real stage 5 program, on real servers: global timeout only, then an idle timeout."""
    build = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it
    real = build / "solutions" / "05-timers" / "fetch"
    if not os.access(real, os.X_OK):
        pytest.skip(f"{real} is not built")
    (tmp_path / "solutions" / "05-timers").mkdir(parents=True)
    (tmp_path / "solutions" / "05-timers" / "fetch").symlink_to(real)
    result = demo(tmp_path, "--timeouts", "--backend", "poll")
    assert result.returncode == 0, result.stderr
    out = result.stdout

    def outcomes(label: str) -> list[tuple[str, float]]:
        """(how it ended, seconds) of the label's row in each chart, top chart first."""
        rows = [line for line in out.splitlines() if line.strip().startswith(label + " ")]
        ends = [re.search(r"(ok|fail \S+) ([\d.]+) s$", row) for row in rows]
        return [(end.group(1), float(end.group(2))) for end in ends]

    assert out.index("Global timeout only: --backend poll --timeout 2.5") \
        < out.index("With an idle timeout: --backend poll --timeout 2.5 --idle-timeout 0.3")
    (silent_global, silent_global_s), (silent_idle, silent_idle_s) = outcomes("silent server")
    (trickle_global, trickle_global_s), (trickle_idle, trickle_idle_s) = outcomes("trickle server")
    assert (silent_global, silent_idle) == ("fail timeout", "fail idle-timeout"), out
    assert (trickle_global, trickle_idle) == ("ok", "ok"), out
    # Without an idle timeout the silent server holds the run past the trickle's end;
    # with one, it fails on its own deadline while the trickle is still going.
    assert silent_global_s > trickle_global_s and silent_idle_s < trickle_idle_s, out
    assert "the silent server failed idle-timeout at" in out and "not timeout at" in out
    assert (tmp_path / "demo" / "05-timers.idle.trace.json").is_file()


# --- The CLI without surprises (issue 11 §3) -----------------------------------


def test_hint_without_a_stage_names_the_stage_and_spends_no_tier(tree):
    result = run_kit(tree, "hint")
    assert result.returncode == 0, result.stderr
    assert "00 (Blocking fetch)" in result.stdout and "./kit hint 0" in result.stdout
    assert "send_all()" not in result.stdout  # no hint's text shown
    assert not (tree / "build" / "kit-progress.json").exists() \
        or "hints_shown" not in progress(tree)["stages"].get("00-blocking", {})
    assert "hint 1 of 2" in run_kit(tree, "hint", "0").stdout  # still the first tier


def test_watch_on_a_passing_stage_never_moves_on_by_itself(tree, fake_tools):
    env = kit_env(dict(fake_tools, FAKE_MODE="pass"))
    result = run_kit(tree, "watch", "0", env=env, timeout=30)  # stdin is no terminal
    assert result.returncode == 0, result.stdout + result.stderr
    assert "./kit watch 1" in result.stdout
    assert not any("exercise-01" in line for line in calls(fake_tools))  # stage 1 unchecked
    assert "Checking stage 01" not in result.stdout


def junit_xml(failures: list[tuple[str, str]], passed: int = 1) -> str:
    """A JUnit XML file as pytest writes it: (test name, its E-line message) per failure."""
    cases = [f'<testcase classname="00-blocking.test_blocking" name="test_ok_{i}" time="0.1"/>'
             for i in range(passed)]
    for name, message in failures:
        text = (f"00-blocking/test_blocking.py:35: in {name.split('[')[0]}\n"
                f"    assert False\nE   AssertionError: {message}\nE   assert False")
        cases.append(f'<testcase classname="00-blocking.test_blocking" name="{name}" time="0.1">'
                     f'<failure message="AssertionError: {message}">{text}</failure></testcase>')
    return ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
            f'errors="0" failures="{len(failures)}" tests="{len(cases)}">'
            + "".join(cases) + "</testsuite></testsuites>")


def long_names_ctest(names: list[str]) -> str:
    """ctest's output of one pytest folder whose failures have long names: pytest then
    draws a single '_' on each side of a name, and the report is as long as pytest makes it."""
    report = "".join(f"_ {name} _\n00-blocking/test_blocking.py:35: in x\nE   AssertionError: "
                     f"expected ok\n" for name in names)
    return (f"Test project {{root}}/build/dev\n    Start 6: stage00.exercise.behaviour\n"
            f"1/1 Test #6: stage00.exercise.behaviour .......***Failed    9.83 sec\n"
            f"{'F' * len(names)}.\n=== FAILURES ===\n{report}"
            f"=== short test summary info ===\n{len(names)} failed, 1 passed in 9.55s\n\n"
            f"0% tests passed, 1 tests failed out of 1\n")


LONG_NAMES = [f"test_every_fixture_server_gets_its_own_report_line_on_every_backend[{kind}]"
              for kind in ("delayed", "silent", "trickle", "refused", "reset", "large",
                           "malformed", "early-close", "unresolvable", "bad-port", "empty",
                           "oversized")]


def test_check_names_every_failed_test_from_pytests_junit_xml(tree, fake_tools, tmp_path):
    (tmp_path / "junit.xml").write_text(junit_xml([(n, f"expected ok for {n[-12:]}")
                                                   for n in LONG_NAMES]))
    (tmp_path / "long.txt").write_text(long_names_ctest(LONG_NAMES))
    env = kit_env(dict(fake_tools, FAKE_CTEST_FAIL=str(tmp_path / "long.txt"),
                       FAKE_JUNIT=str(tmp_path / "junit.xml")))
    result = run_kit(tree, "check", "0", env=env)
    assert result.returncode == 1
    for name in LONG_NAMES:
        assert name in result.stdout, f"{name} not named in:\n{result.stdout}"
    assert "12 failed" in result.stdout
    assert "00-blocking/test_blocking.py:35" in result.stdout


def test_check_counts_the_failures_it_cannot_name(tree, fake_tools, tmp_path):
    """No JUnit file (pytest was killed): the text names some, the count is still right."""
    output = long_names_ctest(LONG_NAMES[:3]).replace("3 failed", "5 failed")
    (tmp_path / "short.txt").write_text(output)
    env = kit_env(dict(fake_tools, FAKE_CTEST_FAIL=str(tmp_path / "short.txt")))
    result = run_kit(tree, "check", "0", env=env)
    assert result.returncode == 1
    assert all(name in result.stdout for name in LONG_NAMES[:3])
    assert "and 2 more that the output does not name" in result.stdout


CRASHED_CTEST = """\
Test project {root}/build/dev
    Start 7: stage00.exercise.unit.Loop.RunsHandlers
1/1 Test #7: stage00.exercise.unit.Loop.RunsHandlers ...***Exception: SegFault  0.05 sec
[ RUN      ] Loop.RunsHandlers

0% tests passed, 1 tests failed out of 1
"""

ASAN_CTEST = """\
Test project {root}/build/asan
    Start 7: stage00.exercise.unit.Loop.RunsHandlers
1/1 Test #7: stage00.exercise.unit.Loop.RunsHandlers ...***Failed  0.30 sec
[ RUN      ] Loop.RunsHandlers
=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x1
READ of size 8 at 0x602000000010 thread T0
    #0 0x55d1 in kit::Loop::dispatch() {root}/exercises/00-blocking/loop.cpp:97
    #1 0x55d2 in kit::Loop::run() {root}/exercises/00-blocking/loop.cpp:120
    #2 0x55d3 in main {root}/tests/00-blocking/loop_test.cpp:12

0x602000000010 is located 0 bytes inside of 16-byte region
SUMMARY: AddressSanitizer: heap-use-after-free loop.cpp:97 in kit::Loop::dispatch()

0% tests passed, 1 tests failed out of 1
"""


def test_a_crash_is_rerun_under_asan_and_the_report_shown(tree, fake_tools, tmp_path):
    (tmp_path / "crash.txt").write_text(CRASHED_CTEST)
    (tmp_path / "asan.txt").write_text(ASAN_CTEST)
    env = kit_env(dict(fake_tools, FAKE_CTEST_FAIL=str(tmp_path / "crash.txt"),
                       FAKE_CTEST_ASAN=str(tmp_path / "asan.txt")))
    result = run_kit(tree, "check", "0", env=env)
    assert result.returncode == 1
    out = result.stdout
    assert "crashed (SegFault)" in out
    assert "AddressSanitizer: heap-use-after-free" in out
    assert "at kit::Loop::dispatch() exercises/00-blocking/loop.cpp:97" in out
    log = calls(fake_tools)
    assert "cmake --preset asan" in log
    assert "cmake --build --preset asan --target exercise-00" in log
    assert any(line.startswith("ctest --test-dir build/asan -R")
               and "stage00\\.exercise\\.unit\\.Loop\\.RunsHandlers" in line for line in log)


def test_check_sanitize_checks_in_the_asan_build_from_the_start(tree, fake_tools, tmp_path):
    (tmp_path / "asan.txt").write_text(ASAN_CTEST)
    env = kit_env(dict(fake_tools, FAKE_CTEST_ASAN=str(tmp_path / "asan.txt")))
    result = run_kit(tree, "check", "0", "--sanitize", env=env)
    assert result.returncode == 1
    assert "heap-use-after-free" in result.stdout
    assert not any("dev" in line for line in calls(fake_tools))


def test_a_hung_fetch_fails_soon_after_its_deadline_saying_what_it_waits_in(servers, tmp_path,
                                                                              monkeypatch):
    import fetchrun  # tests/harness, on the path through tests/conftest.py

    program = tmp_path / "fetch"  # a "fetch" that blocks in recv() with no deadline at all
    write(program, f"#!{sys.executable}\nimport socket, sys\nfrom urllib.parse import urlsplit\n"
                   "url = urlsplit(sys.argv[-1])\n"
                   "socket.create_connection((url.hostname, url.port)).recv(1)\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("KIT_FETCH", str(program))
    monkeypatch.delenv("KIT_FETCH_ARGS", raising=False)
    started = time.monotonic()
    with pytest.raises(AssertionError) as failure:
        fetchrun.run_fetch([servers.silent()], timeout=0.5, trace=False)
    took = time.monotonic() - started
    assert took < 20, f"expected a hang to fail soon after the 0.5 s deadline, took {took:.1f} s"
    message = str(failure.value)
    assert "hung" in message and "--timeout 0.5" in message
    if sys.platform.startswith("linux") and os.uname().machine in ("x86_64", "aarch64"):
        assert "blocked in the system call recvfrom" in message, message


def restricted_path(tmp_path: Path, tools: list[str]) -> str:
    """A PATH with only these tools (symlinks to the real ones)."""
    bin_dir = tmp_path / "only-bin"
    bin_dir.mkdir()
    for name in tools:
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"needs {name}")
        (bin_dir / name).symlink_to(found)
    return str(bin_dir)


def test_doctor_passes_when_only_the_teachers_tools_are_missing(tree, tmp_path):
    path = restricted_path(tmp_path, ["cmake", "ninja", "c++", "g++", "python3"])
    result = run_kit(tree, "doctor", env=kit_env({"PATH": path}))
    assert result.returncode == 0, result.stdout + result.stderr
    learner, teacher = result.stdout.split("To teach")
    assert "MISSING" not in learner
    assert "MISSING" in teacher and "slides/node_modules" in teacher and "chromium" in teacher


def test_doctor_fails_when_a_learners_tool_is_missing(tree, tmp_path):
    path = restricted_path(tmp_path, ["python3"])  # no cmake, no ninja, no compiler
    result = run_kit(tree, "doctor", env=kit_env({"PATH": path}))
    assert result.returncode == 1
    assert "MISSING" in result.stdout.split("To teach")[0]


def test_list_says_when_a_stage_changed_since_its_check(tree, fake_tools):
    env = kit_env(dict(fake_tools, FAKE_MODE="pass"))
    assert run_kit(tree, "check", "0", env=env).returncode == 0
    assert "changed since" not in stage_line(run_kit(tree, "list").stdout, "00")
    (tree / "exercises" / "00-blocking" / "fetch.cpp").write_text("int main() { return 3; }\n")
    line = stage_line(run_kit(tree, "list").stdout, "00")
    assert "passed" in line and "changed since" in line


def test_kit_py_is_split_into_one_small_module_per_command():
    assert len((TOOLS / "kit.py").read_text().splitlines()) < 60
    modules = {p.stem: len(p.read_text().splitlines()) for p in (TOOLS / "kitcli").glob("*.py")}
    for command in ("check", "hint", "watch", "solution", "reset", "doctor", "demo", "listing"):
        assert command in modules, f"expected tools/kitcli/{command}.py"
    too_long = {name: lines for name, lines in modules.items() if lines > 300}
    assert not too_long, f"expected every module under 300 lines, got {too_long}"


# --- kit demo: what it builds and which stage it runs -----------------------------


@pytest.fixture
def demo_tree(tree: Path) -> Path:
    """The tree with the real demo (tools/demo.py, gantt.py, the fixture servers)."""
    for name in ("demo.py", "gantt.py"):
        shutil.copy(TOOLS / name, tree / "tools" / name)
    (tree / "tests" / "harness").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "harness" / "fixtures.py", tree / "tests" / "harness")
    write(tree / "lessons" / "02-poll.md", "# Poll\n")
    write(tree / "exercises" / "02-poll" / "fetch.cpp", "int main() { return 1; }\n")
    blocking = [(0, 900, "ok 200 1"), (900, 1500, "ok 200 1"), (1500, 1800, "ok 200 1"),
                (1800, 3300, "fail timeout")]
    loop = [(0, 900, "ok 200 1"), (0, 600, "ok 200 1"), (0, 300, "ok 200 1"),
            (0, 1500, "fail timeout")]
    for track in ("solutions", "exercises"):
        for stage, spans in (("00-blocking", blocking), ("01-select", loop), ("02-poll", loop)):
            program = tree / "build" / "dev" / track / stage / "fetch"
            write(program, FAKE_FETCH.format(python=sys.executable, spans=spans))
            program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return tree


def test_kit_demo_help_builds_nothing(demo_tree, fake_tools):
    result = run_kit(demo_tree, "demo", "--help", env=kit_env(fake_tools))
    assert result.returncode == 0 and "--timeouts" in result.stdout
    assert not Path(fake_tools["FAKE_LOG"]).exists()  # neither cmake nor ctest ran


def test_kit_demo_runs_the_newest_stage_passed_and_builds_only_that(demo_tree, fake_tools):
    write(demo_tree / "build" / "kit-progress.json", json.dumps({"stages": {
        "00-blocking": {"ever_passed": True}, "01-select": {"ever_passed": True}}}))
    result = run_kit(demo_tree, "demo", env=kit_env(fake_tools), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stage 1:" in result.stdout and "Stage 2:" not in result.stdout
    assert calls(fake_tools)[-1] == "cmake --build --preset dev --target solution-00 solution-01"


def test_kit_demo_with_nothing_passed_shows_the_first_event_loop(demo_tree, fake_tools):
    result = run_kit(demo_tree, "demo", env=kit_env(fake_tools), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stage 1:" in result.stdout and "Stage 2:" not in result.stdout


def test_kit_demo_track_exercise_runs_only_what_you_passed(demo_tree, fake_tools):
    nothing = run_kit(demo_tree, "demo", "--track", "exercise", env=kit_env(fake_tools))
    assert nothing.returncode == 1
    assert "./kit check 1" in nothing.stderr and "Traceback" not in nothing.stderr
    assert not Path(fake_tools["FAKE_LOG"]).exists()  # nothing built for a demo that cannot run
    write(demo_tree / "build" / "kit-progress.json", json.dumps({"stages": {
        "00-blocking": {"ever_passed": True}, "01-select": {"ever_passed": True}}}))
    passed = run_kit(demo_tree, "demo", "--track", "exercise", env=kit_env(fake_tools),
                     timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Stage 1:" in passed.stdout
    assert calls(fake_tools)[-1] == "cmake --build --preset dev --target exercise-00 exercise-01"


def test_a_demo_scenario_is_one_row_of_the_table():
    import demo as demo_tool

    def example(args, trace_dir):  # what a later stage adds: one function ...
        raise AssertionError("not run here")

    row = demo_tool.Scenario("--example", 7, False, example, "an example", "a later stage")
    table = demo_tool.SCENARIOS
    try:
        demo_tool.SCENARIOS = table + [row]  # ... and one row
        assert demo_tool.parse_args(["--example"]).scenario is row
        assert demo_tool.parse_args([]).scenario is table[0]
        assert demo_tool.parse_args(["--timeouts"]).scenario.first_stage == 5
        assert demo_tool.parse_args(["--pool"]).scenario.first_stage == 6
    finally:
        demo_tool.SCENARIOS = table


# --- tools/setup.sh: npm only for the teacher's commands ----------------------


def test_setup_runs_npm_ci_only_for_test_and_setup(tmp_path):
    root = tmp_path / "kit"
    (root / "tools").mkdir(parents=True)
    (root / "slides").mkdir()
    (root / "tests" / "browser").mkdir(parents=True)  # stage 8's browser test
    shutil.copy(TOOLS / "setup.sh", root / "tools" / "setup.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, body in (("dpkg-query", "echo 'install ok installed'"),
                       ("npm", f"echo npm \"$@\" in \"$(pwd)\" >> {log}"),
                       ("apt-get", f"echo apt-get >> {log}")):
        write(bin_dir / name, f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    for command, wants_npm in (("demo", False), ("test", True), ("setup", True)):
        log.unlink(missing_ok=True)
        done = subprocess.run(["bash", str(root / "tools" / "setup.sh"), command], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        ran = log.read_text() if log.exists() else ""
        assert ("npm ci" in ran) == wants_npm, f"{command}: {ran!r}"
        for folder in ("slides", "tests/browser"):  # Marp, and puppeteer-core
            assert (f"in {root / folder}\n" in ran) == wants_npm, f"{command}: {ran!r}"
    launcher = (REPO / "kit").read_text()
    assert 'tools/setup.sh" "$1"' in launcher
