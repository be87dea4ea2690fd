"""./kit check [STAGE] [--sanitize]: build the learner's exercise, run its tests, explain.

The check builds target exercise-NN with the dev preset and runs the
tests labelled stageNN and exercise. When a test crashed, it builds the
exercise again with AddressSanitizer + UndefinedBehaviorSanitizer
(build/asan) and reruns the crashed tests there, so the learner sees a
use-after-free named, not only "crashed". --sanitize checks in build/asan
from the start. report.py says what failed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kitcli import report
from kitcli.hint import read_hints
from kitcli.sanitizer import crashed, has_report
from kitcli.progress import load_progress, record_check, stage_or_next, stage_record
from kitcli.stages import Stage, exercise_fingerprint, reading_list, stage_after
from kitcli.ui import (ROOT, KitError, heading, paint, parse_options, relative, require_tool,
                       run_captured, show_command, strip_root)

PRESETS = {"dev": "a normal debug build", "asan": "AddressSanitizer + UndefinedBehaviorSanitizer"}


def build_dir(preset: str) -> Path:
    return ROOT / "build" / preset


def configure_command(preset: str) -> list[str]:
    return ["cmake", "--preset", preset]


def exercise_build_command(stage: Stage, preset: str) -> list[str]:
    return ["cmake", "--build", "--preset", preset, "--target", f"exercise-{stage.nn}"]


def exercise_test_command(stage: Stage, preset: str, only: list[str] | None = None) -> list[str]:
    command = ["ctest", "--test-dir", relative(build_dir(preset))]
    if only:
        command += ["-R", "^(" + "|".join(re.escape(name) for name in only) + ")$"]
    else:
        command += ["-L", f"^stage{stage.nn}$", "-L", "^exercise$"]
    return command + ["--output-on-failure"]


def configure_if_needed(preset: str = "dev") -> None:
    """Run 'cmake --preset PRESET' once, the first time (afterwards the build does it)."""
    if (build_dir(preset) / "CMakeCache.txt").exists():
        return
    command = configure_command(preset)
    print(paint(f"Configuring the build the first time: {show_command(command)}", "dim"))
    result = run_captured(command)
    if result.returncode != 0:
        print(strip_root(result.stdout.rstrip()))
        raise KitError("the build could not be configured (see above); ./kit doctor "
                       "shows what may be missing")


def compiler_messages(output: str) -> list[str]:
    """The compiler's own lines from a failed ninja build, without ninja's noise."""
    lines = []
    skip_next = False
    for line in strip_root(output).splitlines():
        if skip_next:  # the full compiler command after "FAILED:"
            skip_next = False
            continue
        if line.startswith("FAILED: "):
            skip_next = True
            continue
        if re.match(r"^\[\d+/\d+\] ", line) or line.startswith("ninja: build stopped"):
            continue
        lines.append(line)
    return lines


def build_exercise(stage: Stage, preset: str) -> bool:
    command = exercise_build_command(stage, preset)
    print(paint(f"Building: {show_command(command)}", "dim"))
    result = run_captured(command)
    if result.returncode == 0:
        return True
    if f"unknown target 'exercise-{stage.nn}'" in result.stdout:
        raise KitError(f"the build has no target exercise-{stage.nn}; "
                       f"reconfigure with: {show_command(configure_command(preset))}")
    print()
    print(paint(f"✗ Your code in exercises/{stage.slug}/ doesn't compile yet.", "red", "bold"))
    print("  The compiler says (fix the first error first, the rest often follow from it):")
    print()
    show_compiler_messages(compiler_messages(result.stdout), command)
    return False


def show_compiler_messages(lines: list[str], command: list[str], limit: int = 30) -> None:
    for line in lines[:limit]:
        style = ("red",) if " error: " in line or line.startswith("error") else ()
        print("  " + paint(line, *style))
    if len(lines) > limit:
        print(paint(f"  ... {len(lines) - limit} more lines; see them all with: "
                    f"{show_command(command)}", "dim"))


def run_tests(command: list[str], stage: Stage, preset: str) -> list[report.TestResult]:
    """Run ctest, printing one line per test as it finishes; stale JUnit files go first."""
    for stale in (build_dir(preset) / "junit").glob(f"stage{stage.nn}.exercise.*.xml"):
        stale.unlink()
    require_tool("ctest")
    print(paint(f"Testing:  {show_command(command)}", "dim"))
    sys.stdout.flush()
    lines = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as process:
        try:
            for line in process.stdout:
                line = line.rstrip("\n")
                lines.append(line)
                show_test_progress(line)
        except KeyboardInterrupt:
            process.kill()
            raise
    if any("No tests were found" in line for line in lines):
        raise KitError(f"no tests are registered for stage {stage.nn} (labels stage{stage.nn} "
                       f"and exercise); reconfigure with: "
                       f"{show_command(configure_command(preset))}")
    return report.parse_ctest_output(lines)


def show_test_progress(line: str) -> None:
    match = report.CTEST_RESULT_LINE.match(line)
    if not match:
        return
    if match.group("status") == "Passed":
        print("  " + paint("✓", "green") + " " + match.group("name"))
    else:
        print("  " + paint("✗", "red") + " " + match.group("name") + " "
              + paint(report.describe_status(match.group("status")), "red"))


def report_failures(stage: Stage, results: list[report.TestResult], preset: str) -> list[str]:
    """Print every failed test; returns the names of those that crashed."""
    failed = [r for r in results if not r.passed]
    print()
    print(paint(f"✗ Stage {stage.nn} is not done yet: {len(failed)} of {len(results)} "
                "tests fail.", "red", "bold"))
    crashes = []
    for result in failed:
        failures = report.find_failures(result, build_dir(preset))
        report.report_one_test(result, failures,
                               report.rerun_command(build_dir(preset), result.name))
        if crashed(result.status, [line for f in failures.found for line in f.lines]):
            crashes.append(result.name)
    return crashes


def rerun_under_sanitizers(stage: Stage, names: list[str]) -> None:
    """Build the exercise in build/asan and rerun the crashed tests there."""
    print()
    heading(f"{len(names)} test(s) crashed. Rerunning them under "
            f"{PRESETS['asan']} (build/asan), which names the bug:")
    configure_if_needed("asan")
    if not build_exercise(stage, "asan"):
        return
    results = run_tests(exercise_test_command(stage, "asan", names), stage, "asan")
    for result in results:
        if result.passed:
            print(f"  {result.name} passed under the sanitizers (a crash that comes and goes: "
                  "uninitialised memory, or a race?)")
            continue
        failures = report.find_failures(result, build_dir("asan"))
        failures.found.sort(key=lambda f: not has_report(f.lines))  # the report first
        report.report_one_test(result, failures,
                               report.rerun_command(build_dir("asan"), result.name), detailed=1)


def report_success(stage: Stage) -> None:
    print()
    print(paint(f"✓ Stage {stage.nn} ({stage.title}) passes. Well done!", "green", "bold"))
    print(f"  Compare your code with the reference: ./kit solution {stage.number}")
    following = stage_after(stage)
    if following is None:
        print("  That was the last stage of the kit. Congratulations!")
    else:
        print(f"  Next: read {reading_list(following)}, then ./kit check {following.number}")


def suggest_help(stage: Stage) -> None:
    shown = stage_record(load_progress(), stage).get("hints_shown", 0)
    total = len(read_hints(stage))
    print()
    if shown < total:
        print(f"Stuck? ./kit hint {stage.number} shows hint {shown + 1} of {total}.  "
              f"Re-check on every save: ./kit watch {stage.number}")
    else:
        print(f"Re-check on every save: ./kit watch {stage.number}")


def check_stage(stage: Stage, sanitize: bool = False) -> bool:
    """Build and test one stage; print the verdict and record it. True if it passes."""
    preset = "asan" if sanitize else "dev"
    heading(f"Checking stage {stage.nn}: {stage.title}"
            + (f" ({PRESETS[preset]})" if sanitize else ""))
    fingerprint = exercise_fingerprint(stage)  # the files as this check builds them
    configure_if_needed(preset)
    if not build_exercise(stage, preset):
        record_check(stage, False, "doesn't compile", fingerprint)
        suggest_help(stage)
        return False
    results = run_tests(exercise_test_command(stage, preset), stage, preset)
    if results and all(r.passed for r in results):
        record_check(stage, True, f"all {len(results)} tests pass", fingerprint)
        report_success(stage)
        return True
    if not results:
        raise KitError("ctest ran but reported no test results (see its output with: "
                       f"{show_command(exercise_test_command(stage, preset))})")
    crashes = report_failures(stage, results, preset)
    failed = sum(not r.passed for r in results)
    record_check(stage, False, f"{failed} of {len(results)} tests fail", fingerprint)
    if crashes and not sanitize:
        rerun_under_sanitizers(stage, crashes)
    suggest_help(stage)
    return False


def cmd_check(args: list[str]) -> int:
    positional, options = parse_options(args, ["--sanitize"], max_positional=1)
    stage = stage_or_next(positional, load_progress())
    return 0 if check_stage(stage, sanitize="--sanitize" in options) else 1
