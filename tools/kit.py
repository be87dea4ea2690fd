#!/usr/bin/env python3
"""kit: the learner's command line for the event-loop kit.

You work through the kit one stage at a time. Each stage NN has a lesson
(lessons/NN-name.md), an exercise you fill in (exercises/NN-name/) and tests
that check it (tests/NN-name/). This program ties them together:

    ./kit list            every stage, your progress, the next one to do
    ./kit check [N]       build your exercise N and run its tests
    ./kit hint [N]        the next hint for stage N
    ./kit watch [N]       check again every time you save a file
    ./kit solution N      compare your code with the reference (once it passes)
    ./kit reset N         put back the exercise files as shipped
    ./kit doctor          what is missing from your toolchain
    ./kit demo            the classroom demo: blocking vs event loop
    ./kit test            every test of the kit (what CI runs)

N defaults to the first stage you have not passed. It is plain Python
(standard library only, python3 >= 3.9) that runs ordinary commands: cmake,
ctest and git. Every command it runs for you is one you could type yourself,
and the output tells you which. Your progress (the last result of each check
and how many hints you have seen) lives in build/kit-progress.json; delete
that file to start the bookkeeping afresh. The bash script ./kit installs
what is missing (tools/setup.sh) before demo, test and setup, then runs this.
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
import platform
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build" / "dev"
PROGRESS_FILE = ROOT / "build" / "kit-progress.json"
WATCH_POLL_SECONDS = 0.5
STAGE_DIR_PATTERN = re.compile(r"^(\d\d)-[A-Za-z0-9_-]+$")


# --------------------------------------------------------------------------
# Output: colour only on a terminal, and never when NO_COLOR is set.

USE_COLOR = sys.stdout.isatty() and "NO_COLOR" not in os.environ

ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def paint(text: str, *styles: str) -> str:
    """Wrap text in ANSI colour codes when colour is on."""
    if not USE_COLOR or not styles:
        return text
    codes = ";".join(ANSI[s] for s in styles)
    return f"\033[{codes}m{text}\033[0m"


def heading(text: str) -> None:
    print(paint(text, "bold"))


def relative(path: Path) -> str:
    """A path as the learner would type it from the repository root."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class KitError(Exception):
    """An error with a message for the learner (no traceback) and an exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(KitError):
    """A wrong command or argument: exit code 2."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


# --------------------------------------------------------------------------
# Stages: one per directory exercises/NN-name/.


@dataclass(frozen=True)
class Stage:
    number: int
    slug: str  # "00-blocking"

    @property
    def nn(self) -> str:
        return self.slug[:2]

    @property
    def exercise_dir(self) -> Path:
        return ROOT / "exercises" / self.slug

    @property
    def solution_dir(self) -> Path:
        return ROOT / "solutions" / self.slug

    @property
    def lesson(self) -> Path:
        return ROOT / "lessons" / f"{self.slug}.md"

    @property
    def hints_file(self) -> Path:
        return self.exercise_dir / "HINTS.md"

    @property
    def title(self) -> str:
        """The first '# ' heading of the lesson (less a 'Stage 0:' prefix), or the name."""
        try:
            for line in self.lesson.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    title = re.sub(r"^(Stage|Lesson)\s+\d+\s*[:.\u2013\u2014-]\s*", "",
                                   line[2:].strip())
                    return title[:1].upper() + title[1:]
        except OSError:
            pass
        return self.slug[3:].replace("-", " ").capitalize()


def discover_stages() -> list[Stage]:
    stages = []
    exercises = ROOT / "exercises"
    if exercises.is_dir():
        for entry in exercises.iterdir():
            match = STAGE_DIR_PATTERN.match(entry.name)
            if entry.is_dir() and match:
                stages.append(Stage(int(match.group(1)), entry.name))
    return sorted(stages, key=lambda s: s.number)


def find_stage(text: str) -> Stage:
    """Accept '0', '00', '00-blocking' or 'blocking'."""
    stages = discover_stages()
    if not stages:
        raise KitError("no stages found: there is no exercises/NN-name/ directory yet")
    for stage in stages:
        if text.isdigit() and int(text) == stage.number:
            return stage
        if text in (stage.slug, stage.slug[3:]):
            return stage
    known = ", ".join(s.slug for s in stages)
    raise UsageError(f"no stage '{text}' (the stages are {known}; see ./kit list)")


def stage_after(stage: Stage) -> Stage | None:
    later = [s for s in discover_stages() if s.number > stage.number]
    return later[0] if later else None


def next_stage_to_do(progress: dict) -> Stage | None:
    for stage in discover_stages():
        if stage_record(progress, stage).get("last_check") != "passed":
            return stage
    return None


def stage_or_next(args: list[str], progress: dict) -> Stage:
    """The stage named in args, or else the first stage not passed yet."""
    if args:
        return find_stage(args[0])
    stage = next_stage_to_do(progress)
    if stage is None:
        stages = discover_stages()
        if not stages:
            raise KitError("no stages found: there is no exercises/NN-name/ directory yet")
        return stages[-1]
    return stage


# --------------------------------------------------------------------------
# Progress: build/kit-progress.json
#   {"stages": {"00-blocking": {"last_check": "passed" | "failing",
#                               "detail": "...", "checked_at": "...",
#                               "ever_passed": true, "hints_shown": 2}}}


def load_progress() -> dict:
    try:
        data = json.loads(PROGRESS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"stages": {}}
    except (OSError, ValueError):
        print(paint(f"(ignoring unreadable {relative(PROGRESS_FILE)})", "dim"), file=sys.stderr)
        return {"stages": {}}
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        return {"stages": {}}
    return data


def save_progress(progress: dict) -> None:
    PROGRESS_FILE.parent.mkdir(parents=True, exist_ok=True)
    temporary = PROGRESS_FILE.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(progress, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, PROGRESS_FILE)  # all or nothing, even if interrupted


def stage_record(progress: dict, stage: Stage) -> dict:
    return progress["stages"].setdefault(stage.slug, {})


def record_check(stage: Stage, passed: bool, detail: str) -> None:
    progress = load_progress()
    record = stage_record(progress, stage)
    record["last_check"] = "passed" if passed else "failing"
    record["detail"] = detail
    record["checked_at"] = datetime.datetime.now().isoformat(timespec="seconds")
    if passed:
        record["ever_passed"] = True
    save_progress(progress)


# --------------------------------------------------------------------------
# Running other programs, always from the repository root.


def require_tool(name: str) -> None:
    if shutil.which(name) is None:
        raise KitError(f"'{name}' is not installed or not on PATH; ./kit doctor says how to get it")


def run_captured(command: list[str]) -> subprocess.CompletedProcess:
    """Run a command; stdout and stderr together in .stdout."""
    require_tool(command[0])
    return subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace", check=False,
    )


def run_streamed(command: list[str]) -> int:
    """Run a command with its output going straight to the terminal."""
    require_tool(command[0])
    sys.stdout.flush()
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def show_command(command: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in command)


def strip_root(text: str) -> str:
    """Make absolute paths inside the repository relative, for shorter lines."""
    return text.replace(str(ROOT) + os.sep, "")


# --------------------------------------------------------------------------
# kit check: configure, build one exercise, run its tests, explain the result.

CONFIGURE = ["cmake", "--preset", "dev"]


def exercise_build_command(stage: Stage) -> list[str]:
    return ["cmake", "--build", "--preset", "dev", "--target", f"exercise-{stage.nn}"]


def exercise_test_command(stage: Stage) -> list[str]:
    return ["ctest", "--test-dir", relative(BUILD_DIR),
            "-L", f"^stage{stage.nn}$", "-L", "^exercise$", "--output-on-failure"]


def rerun_command(test_name: str) -> str:
    pattern = "^" + re.escape(test_name) + "$"
    return show_command(["ctest", "--test-dir", relative(BUILD_DIR), "-R", pattern,
                         "--output-on-failure"])


def configure_if_needed() -> None:
    """Run 'cmake --preset dev' once, the first time (afterwards the build does it)."""
    if (BUILD_DIR / "CMakeCache.txt").exists():
        return
    print(paint(f"Configuring the build the first time: {show_command(CONFIGURE)}", "dim"))
    result = run_captured(CONFIGURE)
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


def build_exercise(stage: Stage) -> bool:
    command = exercise_build_command(stage)
    print(paint(f"Building: {show_command(command)}", "dim"))
    result = run_captured(command)
    if result.returncode == 0:
        return True
    if f"unknown target 'exercise-{stage.nn}'" in result.stdout:
        raise KitError(f"the build has no target exercise-{stage.nn}; "
                       f"reconfigure with: {show_command(CONFIGURE)}")
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


@dataclass
class TestResult:
    name: str
    status: str  # as ctest prints it: "Passed", "***Failed", "***Timeout", ...
    output: list[str]

    @property
    def passed(self) -> bool:
        return self.status == "Passed"


CTEST_RESULT_LINE = re.compile(
    r"^\s*\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.*\s*(?P<status>\S.*?)\s+[\d.]+ sec$")
CTEST_START_LINE = re.compile(r"^\s+Start\s+\d+: ")
CTEST_SUMMARY_LINE = re.compile(r"^\d+% tests passed")


def parse_ctest_output(lines: list[str]) -> list[TestResult]:
    """Split ctest's output into one TestResult per test, with the test's own output.

    With --output-on-failure ctest prints a failed test's output right after
    its result line, up to the next 'Start' line or the summary.
    """
    results: list[TestResult] = []
    current: TestResult | None = None
    for line in lines:
        match = CTEST_RESULT_LINE.match(line)
        if match:
            current = TestResult(match.group("name"), match.group("status"), [])
            results.append(current)
        elif CTEST_START_LINE.match(line) or CTEST_SUMMARY_LINE.match(line):
            current = None
        elif current is not None:
            current.output.append(line)
    return results


def describe_status(status: str) -> str:
    if "Timeout" in status:
        return "timed out (ctest stopped it: does something wait forever?)"
    if "Exception" in status:
        return "crashed (" + status.split("Exception:")[-1].strip() + ")"
    if "Not Run" in status:
        return "did not run (is the program built?)"
    return "failed"


@dataclass
class Failure:
    """One failed check inside a test: a pytest test function or a GoogleTest case."""

    name: str  # may be "" when the output names nothing
    where: str  # "tests/00-blocking/test_x.py:20", or ""
    lines: list[str]  # what went wrong, ideally "expected ... got ..."


def repo_location(path: str, line: str) -> str:
    """A file:line the learner can open (pytest prints paths relative to tests/)."""
    for base in (ROOT, ROOT / "tests"):
        if (base / path).is_file():
            return f"{relative(base / path)}:{line}"
    return f"{path}:{line}"


def main_error_lines(error_lines: list[str], limit: int = 3) -> list[str]:
    """pytest's E-lines with the least indentation: the message and the assert.

    The more indented ones are pytest's diff details ("At index 0 diff", "+ where").
    """
    texts = [line[1:] for line in error_lines]
    indent = min(len(t) - len(t.lstrip()) for t in texts)
    main = [t.strip() for t in texts if len(t) - len(t.lstrip()) == indent]
    return [t.replace("AssertionError: ", "", 1) for t in main][:limit]


def pytest_failures(lines: list[str]) -> list[Failure]:
    """Each failing test of pytest's FAILURES / ERRORS report."""
    failures: list[Failure] = []
    errors: list[list[str]] = []
    in_report = False
    for line in lines:
        if re.match(r"^=+ (FAILURES|ERRORS) =+$", line):
            in_report = True
        elif re.match(r"^=+ .* =+$", line):
            in_report = False
        elif in_report and re.match(r"^_{3,} .+ _{3,}$", line):
            failures.append(Failure(line.strip("_ "), "", []))
            errors.append([])
        elif in_report and failures and line.startswith("E "):
            errors[-1].append(line)
        elif in_report and failures and not failures[-1].where:
            location = re.match(r"^(\S+\.py):(\d+): ", line)
            if location:
                failures[-1].where = repo_location(location.group(1), location.group(2))
    for failure, error_lines in zip(failures, errors):
        failure.lines = main_error_lines(error_lines) if error_lines else []
    return failures


def gtest_failures(lines: list[str]) -> list[Failure]:
    """Each 'file:line: Failure' block of GoogleTest's output."""
    failures: list[Failure] = []
    case = ""
    in_failure = False
    for line in lines:
        running = re.match(r"^\[ RUN      \] (\S+)", line)
        location = re.match(r"^(\S+):(\d+): (error: )?Failure$", line)
        if running:
            case = running.group(1)
        elif location:
            failures.append(Failure(case, f"{location.group(1)}:{location.group(2)}", []))
            in_failure = True
        elif line.startswith("[  FAILED  ]") or line.startswith("[       OK ]"):
            in_failure = False
        elif in_failure and line.strip() and len(failures[-1].lines) < 8:
            failures[-1].lines.append(line.rstrip())
    return failures


def keyword_failure(lines: list[str]) -> Failure:
    """Whatever mentions an expectation or an error; else the last few lines."""
    wanted = re.compile(r"expected|got|error|assert|fail", re.IGNORECASE)
    found = [line.strip() for line in lines if wanted.search(line)]
    if not found:
        found = [line.strip() for line in lines if line.strip()][-8:]
    return Failure("", "", found[:10])


def find_failures(output: list[str]) -> list[Failure]:
    output = [strip_root(line) for line in output]
    failures = pytest_failures(output) or gtest_failures(output)
    if failures:
        return failures
    fallback = keyword_failure(output)
    return [fallback] if fallback.lines else []


def pytest_summary(output: list[str]) -> str | None:
    """pytest's last line, such as '9 failed, 7 passed in 0.55s'."""
    for line in reversed(output):
        text = line.strip("= ")
        if re.match(r"^\d+ (failed|passed|error)", text):
            return text
    return None


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def run_stage_tests(stage: Stage) -> list[TestResult]:
    """Run the stage's exercise tests, printing one line per test as it finishes."""
    command = exercise_test_command(stage)
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
                       f"and exercise); reconfigure with: {show_command(CONFIGURE)}")
    return parse_ctest_output(lines)


def show_test_progress(line: str) -> None:
    match = CTEST_RESULT_LINE.match(line)
    if not match:
        return
    if match.group("status") == "Passed":
        print("  " + paint("✓", "green") + " " + match.group("name"))
    else:
        print("  " + paint("✗", "red") + " " + match.group("name") + " "
              + paint(describe_status(match.group("status")), "red"))


def report_failures(stage: Stage, results: list[TestResult]) -> str:
    failed = [r for r in results if not r.passed]
    summary = f"{len(failed)} of {len(results)} tests fail"
    print()
    print(paint(f"✗ Stage {stage.nn} is not done yet: {summary}.", "red", "bold"))
    for result in failed:
        report_one_test(result)
    return summary


def report_one_test(result: TestResult, detailed: int = 3, listed: int = 10) -> None:
    """A failed ctest test: its first few failures in detail, then just names."""
    width = shutil.get_terminal_size((100, 24)).columns - 8
    counts = pytest_summary(result.output)
    print()
    print(paint(f"── {result.name}: ", "bold") + paint(describe_status(result.status), "red")
          + (paint(f" ({counts})", "dim") if counts else ""))
    failures = find_failures(result.output)
    for failure in failures[:detailed]:
        where = paint(f"  ({failure.where})", "dim") if failure.where else ""
        if failure.name or where:
            print("  " + paint("✗ ", "red") + failure.name + where)
        for line in failure.lines:
            print("      " + shorten(line, width))
    rest = failures[detailed:]
    if rest:
        print(f"  ... and {len(rest)} more:")
        for failure in rest[:listed]:
            print("    " + paint("✗ ", "red") + (failure.name or failure.where))
        if len(rest) > listed:
            print(f"    ({len(rest) - listed} more not shown)")
    print(paint("  rerun by hand: ", "dim") + rerun_command(result.name))


def report_success(stage: Stage) -> None:
    print()
    print(paint(f"✓ Stage {stage.nn} ({stage.title}) passes. Well done!", "green", "bold"))
    print(f"  Compare your code with the reference: ./kit solution {stage.number}")
    following = stage_after(stage)
    if following is None:
        print("  That was the last stage of the kit. Congratulations!")
    else:
        print(f"  Next: read {relative(following.lesson)}, then ./kit check {following.number}")


def suggest_help(stage: Stage) -> None:
    shown = stage_record(load_progress(), stage).get("hints_shown", 0)
    total = len(read_hints(stage))
    print()
    if shown < total:
        print(f"Stuck? ./kit hint {stage.number} shows hint {shown + 1} of {total}.  "
              f"Re-check on every save: ./kit watch {stage.number}")
    else:
        print(f"Re-check on every save: ./kit watch {stage.number}")


def check_stage(stage: Stage) -> bool:
    """Build and test one stage; print the verdict and record it. True if it passes."""
    heading(f"Checking stage {stage.nn}: {stage.title}")
    configure_if_needed()
    if not build_exercise(stage):
        record_check(stage, False, "doesn't compile")
        suggest_help(stage)
        return False
    results = run_stage_tests(stage)
    if results and all(r.passed for r in results):
        record_check(stage, True, f"all {len(results)} tests pass")
        report_success(stage)
        return True
    if not results:
        raise KitError("ctest ran but reported no test results (see its output with: "
                       f"{show_command(exercise_test_command(stage))})")
    summary = report_failures(stage, results)
    record_check(stage, False, summary)
    suggest_help(stage)
    return False


def cmd_check(args: list[str]) -> int:
    positional, _ = parse_options(args, [], max_positional=1)
    stage = stage_or_next(positional, load_progress())
    return 0 if check_stage(stage) else 1


# --------------------------------------------------------------------------
# kit list


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + paint("#" * filled, "green") + "-" * (width - filled) + f"] {done}/{total} stages"


def status_text(record: dict) -> str:
    status = record.get("last_check")
    if status == "passed":
        return paint("passed", "green")
    if status == "failing":
        return paint("failing", "red") + paint(f" ({record.get('detail', '')})", "dim")
    return paint("not checked yet", "dim")


def cmd_list(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    stages = discover_stages()
    if not stages:
        raise KitError("no stages found: there is no exercises/NN-name/ directory yet")
    progress = load_progress()
    upcoming = next_stage_to_do(progress)
    title_width = max(len(s.title) for s in stages)
    heading("Stages")
    for stage in stages:
        record = stage_record(progress, stage)
        mark = {"passed": paint("✓", "green"), "failing": paint("✗", "red")}.get(
            record.get("last_check"), paint("·", "dim"))
        line = f"  {mark} {stage.nn}  {stage.title:<{title_width}}  {status_text(record)}"
        if stage == upcoming:
            line += paint("   <- next", "yellow", "bold")
        print(line)
    done = sum(1 for s in stages if stage_record(progress, s).get("last_check") == "passed")
    print()
    print("  " + progress_bar(done, len(stages)))
    print()
    if upcoming is None:
        print("Every stage passes. Congratulations!")
    else:
        print(f"Next: read {relative(upcoming.lesson)}, then ./kit check {upcoming.number}")
    return 0


# --------------------------------------------------------------------------
# kit hint


def read_hints(stage: Stage) -> list[str]:
    """The '## Hint N' sections of the stage's HINTS.md, in order."""
    try:
        text = stage.hints_file.read_text(encoding="utf-8")
    except OSError:
        return []
    sections: list[list[str]] = []
    inside_hint = False
    inside_code = False  # a '#include' in a code block is not a heading
    for line in text.splitlines():
        if line.startswith("```"):
            inside_code = not inside_code
        if not inside_code and re.match(r"^##\s+Hint\s+\d+", line):
            sections.append([])
            inside_hint = True
        elif not inside_code and re.match(r"^#{1,2}\s", line):
            inside_hint = False  # another section of the file ends the hint
        elif inside_hint:
            sections[-1].append(line)
    return ["\n".join(lines).strip() for lines in sections]


def show_hint(stage: Stage, number: int, total: int, text: str) -> None:
    print(paint(f"Stage {stage.nn}, hint {number} of {total}", "yellow", "bold"))
    print()
    print(text)
    print()


def show_next_hint(stage: Stage) -> None:
    hints = read_hints(stage)
    if not hints:
        print(f"Stage {stage.nn} has no hints ({relative(stage.hints_file)} has no '## Hint 1').")
        return
    progress = load_progress()
    record = stage_record(progress, stage)
    shown = min(record.get("hints_shown", 0), len(hints))
    if shown >= len(hints):
        print(f"No more hints for stage {stage.nn}: you have seen all {len(hints)}. "
              f"See them again: ./kit hint {stage.number} --all")
        return
    show_hint(stage, shown + 1, len(hints), hints[shown])
    record["hints_shown"] = shown + 1
    save_progress(progress)
    remaining = len(hints) - shown - 1
    if remaining:
        print(paint(f"({remaining} more: ./kit hint {stage.number} again)", "dim"))
    else:
        print(paint("(that was the last hint)", "dim"))


def show_hints_so_far(stage: Stage) -> None:
    hints = read_hints(stage)
    shown = min(stage_record(load_progress(), stage).get("hints_shown", 0), len(hints))
    if shown == 0:
        print(f"You have not seen any hint for stage {stage.nn} yet: ./kit hint {stage.number}")
        return
    for index in range(shown):
        show_hint(stage, index + 1, len(hints), hints[index])


def cmd_hint(args: list[str]) -> int:
    positional, options = parse_options(args, ["--all"], max_positional=1)
    stage = stage_or_next(positional, load_progress())
    if "--all" in options:
        show_hints_so_far(stage)
    else:
        show_next_hint(stage)
    return 0


# --------------------------------------------------------------------------
# kit watch: check, then wait for a saved file (or Enter / h / q), repeat.


def exercise_snapshot(stage: Stage) -> dict:
    """Modification time and size of every file of the exercise (editor droppings aside)."""
    snapshot = {}
    for path in stage.exercise_dir.rglob("*"):
        name = path.name
        if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx")):
            continue
        try:
            info = path.stat()
        except OSError:
            continue  # deleted while we looked
        snapshot[str(path)] = (info.st_mtime_ns, info.st_size)
    return snapshot


def clear_screen() -> None:
    if sys.stdout.isatty():
        print("\033[2J\033[3J\033[H", end="")


def wait_for_event(stage: Stage, snapshot: dict, interactive: bool) -> str:
    """Block until a file changes ('changed') or the learner types a line.

    Typed lines: Enter -> 'recheck', h -> 'hint', q or end of input -> 'quit'.
    Without a terminal on stdin we only watch the files.
    """
    while True:
        if interactive:
            ready, _, _ = select.select([sys.stdin], [], [], WATCH_POLL_SECONDS)
            if ready:
                key = sys.stdin.readline()
                if key == "" or key.strip().lower() == "q":
                    return "quit"
                return "hint" if key.strip().lower() == "h" else "recheck"
        else:
            time.sleep(WATCH_POLL_SECONDS)
        if exercise_snapshot(stage) != snapshot:
            time.sleep(0.2)  # let the editor finish writing
            return "changed"


def watch_prompt(stage: Stage, interactive: bool) -> None:
    print()
    print(paint(f"Watching exercises/{stage.slug}/: save a file to check again.", "cyan"))
    if interactive:
        print(paint("  [Enter] check now   [h Enter] hint   [q Enter] quit   (or Ctrl-C)", "dim"))
    sys.stdout.flush()


def offer_next_stage(following: Stage, interactive: bool) -> bool:
    """After a pass: go on to the next stage? Without a terminal, always."""
    print()
    print(paint(f"Next up: stage {following.nn} ({following.title}), "
                f"lesson {relative(following.lesson)}", "bold"))
    if not interactive:
        return True
    print("  [Enter] watch it   [q Enter] quit")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer != "" and answer.strip().lower() != "q"


def watch(stage: Stage) -> int:
    interactive = sys.stdin.isatty()
    while True:
        clear_screen()
        snapshot = exercise_snapshot(stage)
        if check_stage(stage):
            following = stage_after(stage)
            if following is None:
                return 0
            if not offer_next_stage(following, interactive):
                return 0
            stage = following
            continue
        watch_prompt(stage, interactive)
        event = wait_for_event(stage, snapshot, interactive)
        while event == "hint":
            print()
            show_next_hint(stage)
            watch_prompt(stage, interactive)
            event = wait_for_event(stage, snapshot, interactive)
        if event == "quit":
            return 0


def cmd_watch(args: list[str]) -> int:
    positional, _ = parse_options(args, [], max_positional=1)
    stage = stage_or_next(positional, load_progress())
    try:
        return watch(stage)
    except KeyboardInterrupt:
        print("\nStopped watching.")
        return 0


# --------------------------------------------------------------------------
# kit solution: diff of the learner's exercise against the reference.


def files_under(directory: Path) -> set[str]:
    if not directory.is_dir():
        return set()
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def git_diff(old: Path | None, new: Path | None) -> str:
    color = "--color=always" if USE_COLOR else "--color=never"
    command = ["git", "--no-pager", "diff", "--no-index", "--no-ext-diff", color, "--",
               relative(old) if old else os.devnull, relative(new) if new else os.devnull]
    return run_captured(command).stdout


def python_diff(old: Path | None, new: Path | None) -> str:
    old_lines = old.read_text(encoding="utf-8", errors="replace").splitlines(True) if old else []
    new_lines = new.read_text(encoding="utf-8", errors="replace").splitlines(True) if new else []
    diff = difflib.unified_diff(old_lines, new_lines,
                                relative(old) if old else os.devnull,
                                relative(new) if new else os.devnull)
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def solution_diff(stage: Stage) -> str:
    """Unified diff exercises/NN-name -> solutions/NN-name (HINTS.md left out).

    Only the learner's files: those of the exercise folder. The solution's
    other files (headers, the code a stage gives) are the same on both tracks.
    """
    differ = git_diff if shutil.which("git") else python_diff
    names = files_under(stage.exercise_dir) - {"HINTS.md"}
    parts = []
    for name in sorted(names):
        old = stage.exercise_dir / name
        new = stage.solution_dir / name
        parts.append(differ(old if old.is_file() else None, new if new.is_file() else None))
    return "".join(parts)


def cmd_solution(args: list[str]) -> int:
    positional, options = parse_options(args, ["--force"], max_positional=1, min_positional=1)
    stage = find_stage(positional[0])
    if not stage.solution_dir.is_dir():
        raise KitError(f"there is no {relative(stage.solution_dir)}/ in this checkout")
    passed = stage_record(load_progress(), stage).get("ever_passed", False)
    if not passed and "--force" not in options:
        print(f"Stage {stage.nn} has not passed yet, so its solution stays hidden: "
              "working it out is the lesson.")
        print(f"  Check your code:  ./kit check {stage.number}")
        print(f"  Get a hint:       ./kit hint {stage.number}")
        print(f"  Look anyway:      ./kit solution {stage.number} --force")
        return 1
    diff = solution_diff(stage)
    if not diff:
        print(f"Your exercises/{stage.slug}/ is identical to the reference solution.")
        return 0
    heading(f"Your code (exercises/{stage.slug}) -> the reference (solutions/{stage.slug})")
    print(paint("Lines with - are yours, lines with + are the reference's.", "dim"))
    print()
    print(diff, end="")
    return 0


# --------------------------------------------------------------------------
# kit reset: git checkout -- exercises/NN-name


def git_output(*args: str) -> subprocess.CompletedProcess:
    return run_captured(["git", "-C", str(ROOT), *args])


def cmd_reset(args: list[str]) -> int:
    positional, options = parse_options(args, ["--yes"], max_positional=1, min_positional=1)
    stage = find_stage(positional[0])
    target = f"exercises/{stage.slug}"
    if shutil.which("git") is None or git_output("rev-parse", "--show-toplevel").returncode != 0:
        raise KitError("reset needs a git checkout of the kit (this one is not), "
                       f"so it cannot tell what {target}/ looked like when shipped")
    if not git_output("ls-files", "--", target).stdout.strip():
        raise KitError(f"git does not know the shipped files of {target}/ (never committed)")
    changes = git_output("status", "--porcelain", "--untracked-files=no", "--", target).stdout
    if not changes.strip():
        print(f"{target}/ is already as shipped: nothing to reset.")
        return 0
    print(f"Resetting {target}/ throws away your changes to:")
    for line in changes.splitlines():
        print("  " + line[3:])
    if "--yes" not in options and not confirm("Reset these files? [y/N] "):
        print("Nothing changed.")
        return 1
    result = git_output("checkout", "--", target)
    if result.returncode != 0:
        raise KitError("git checkout failed: " + result.stdout.strip())
    progress = load_progress()
    record = stage_record(progress, stage)
    for key in ("last_check", "detail", "checked_at"):
        record.pop(key, None)
    save_progress(progress)
    print(f"Stage {stage.nn} is back to the shipped exercise (files you added yourself are kept).")
    return 0


def confirm(question: str) -> bool:
    print(question, end="", flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print()
    return answer.strip().lower() in ("y", "yes")


# --------------------------------------------------------------------------
# kit doctor: is the toolchain complete?


@dataclass
class Tool:
    name: str
    debian: str  # the command that fixes it on Debian
    macos: str  # ... and on macOS


def first_line_of(command: list[str]) -> str | None:
    """The first line a command prints, or None if it cannot run or fails."""
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    lines = result.stdout.strip().splitlines()
    return lines[0] if lines else ""


def probe_cmake() -> tuple[bool, str]:
    line = first_line_of(["cmake", "--version"])
    if line is None:
        return False, "not found"
    match = re.search(r"(\d+)\.(\d+)", line)
    if not match or (int(match.group(1)), int(match.group(2))) < (3, 25):
        return False, f"{line} (need 3.25 or newer)"
    return True, line


def probe_version(*command: str) -> tuple[bool, str]:
    line = first_line_of(list(command))
    if line is None:
        return False, "not found"
    return True, " ".join(line.split()[:4])  # "curl 7.88.1 (x86_64-pc-linux-gnu) ...": enough


CXX20_PROBE = "#include <span>\n#if __cplusplus < 202002L\n#error C++20\n#endif\nint main() {}\n"


def probe_cxx20() -> tuple[bool, str]:
    candidates = [os.environ.get("CXX"), "c++", "g++", "clang++"]
    for compiler in filter(None, candidates):
        if shutil.which(compiler) is None:
            continue
        result = subprocess.run([compiler, "-std=c++20", "-fsyntax-only", "-x", "c++", "-"],
                                input=CXX20_PROBE, capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return True, f"{compiler}: {first_line_of([compiler, '--version'])}"
    return False, "no compiler accepts -std=c++20"


def probe_gtest() -> tuple[bool, str]:
    prefixes = ["/usr/lib/*", "/usr/lib", "/usr/local/lib", "/opt/homebrew/lib"]
    brew = shutil.which("brew") and first_line_of(["brew", "--prefix"])
    if brew:
        prefixes.append(brew + "/lib")
    for prefix in prefixes:
        for found in sorted(Path("/").glob(prefix.lstrip("/") + "/cmake/GTest/GTestConfig.cmake")):
            return True, str(found.parent)
    return False, "no GTestConfig.cmake found"


def pythons() -> list[str]:
    """The interpreters CMake would try: /usr/bin/python3 first, then python3 on PATH."""
    found = [p for p in ["/usr/bin/python3", shutil.which("python3")] if p and os.path.exists(p)]
    return list(dict.fromkeys(found))


def python_that_imports(module: str) -> str | None:
    for python in pythons():
        if first_line_of([python, "-c", f"import {module}"]) is not None:
            return python
    return None


def probe_module(module: str) -> tuple[bool, str]:
    python = python_that_imports(module)
    if python is None:
        return False, f"no python3 can import {module} (tried {', '.join(pythons()) or 'none'})"
    return True, f"{python} imports {module}"


def probe_node() -> tuple[bool, str]:
    node = first_line_of(["node", "--version"])
    npm = first_line_of(["npm", "--version"])
    if node is None or npm is None:
        return False, f"node {node or 'missing'}, npm {npm or 'missing'}"
    return True, f"node {node}, npm {npm}"


def probe_slides_modules() -> tuple[bool, str]:
    folder = ROOT / "slides" / "node_modules"
    return (folder.is_dir(), relative(folder) + (" present" if folder.is_dir() else " missing"))


def probe_chromium() -> tuple[bool, str]:
    names = ["chromium", "chromium-browser", "google-chrome",
             "/Applications/Chromium.app/Contents/MacOS/Chromium",
             "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]
    for name in names:
        path = shutil.which(name) or (name if os.path.isfile(name) else None)
        if path:
            return True, path
    return False, "not found"


def doctor_checks() -> list[tuple[Tool, tuple[bool, str]]]:
    apt = "sudo apt-get install -y --no-install-recommends"
    return [
        (Tool("cmake >= 3.25", f"{apt} cmake", "brew install cmake"), probe_cmake()),
        (Tool("ninja", f"{apt} ninja-build", "brew install ninja"), probe_version("ninja", "--version")),
        (Tool("C++20 compiler", f"{apt} g++", "xcode-select --install"), probe_cxx20()),
        (Tool("GoogleTest (CMake package)", f"{apt} libgtest-dev libgmock-dev",
              "brew install googletest"), probe_gtest()),
        (Tool("python3 with pytest", f"{apt} python3-pytest",
              "python3 -m venv .venv && . .venv/bin/activate && pip install pytest matplotlib"),
         probe_module("pytest")),
        (Tool("matplotlib", f"{apt} python3-matplotlib",
              ". .venv/bin/activate && pip install matplotlib"), probe_module("matplotlib")),
        (Tool("doxygen", f"{apt} doxygen", "brew install doxygen"), probe_version("doxygen", "--version")),
        (Tool("dot (graphviz)", f"{apt} graphviz", "brew install graphviz"), probe_version("dot", "-V")),
        (Tool("node + npm", f"{apt} nodejs npm", "brew install node"), probe_node()),
        (Tool("slides/node_modules", "cd slides && npm ci", "cd slides && npm ci"),
         probe_slides_modules()),
        (Tool("chromium", f"{apt} chromium", "brew install --cask chromium"), probe_chromium()),
        (Tool("curl", f"{apt} curl", "brew install curl"), probe_version("curl", "--version")),
    ]


def print_checks(checks: list[tuple[Tool, tuple[bool, str]]], with_fixes: bool) -> int:
    missing = 0
    for tool, (ok, detail) in checks:
        label = paint("ok     ", "green") if ok else paint("MISSING", "red", "bold")
        print(f"  {label}  {tool.name:<28} {paint(detail, 'dim')}")
        if not ok:
            missing += 1
            if with_fixes:
                print(f"           Debian: {tool.debian}")
                print(f"           macOS:  {tool.macos}")
    return missing


def cmd_doctor(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    heading(f"Checking the toolchain ({platform.system()} {platform.machine()})")
    missing = print_checks(doctor_checks(), with_fixes=True)
    print()
    if missing == 0:
        print(paint("Everything is there.", "green"))
        return 0
    print(f"{missing} missing. On Debian, `sudo ./kit setup` installs all of it at once.")
    return 1


def cmd_setup(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    heading("Setup is done (./kit ran tools/setup.sh). What is installed now:")
    missing = print_checks(doctor_checks(), with_fixes=False)
    if missing:
        print()
        print(f"{missing} still missing; ./kit doctor says how to get them.")
    return 0


# --------------------------------------------------------------------------
# kit demo and kit test


def cmd_demo(args: list[str]) -> int:
    """Build everything, then hand over to tools/demo.py with the same arguments."""
    configure_if_needed()
    print(paint("Building: cmake --build --preset dev", "dim"))
    if run_streamed(["cmake", "--build", "--preset", "dev"]) != 0:
        solutions = [f"solution-{s.nn}" for s in discover_stages()]
        print(paint("The full build failed (your exercise code, perhaps); "
                    "building only the reference solutions for the demo.", "yellow"))
        if run_streamed(["cmake", "--build", "--preset", "dev", "--target", *solutions]) != 0:
            raise KitError("the solutions do not build (see above)")
    sys.stdout.flush()
    return subprocess.run([sys.executable, str(ROOT / "tools" / "demo.py"), *args],
                          cwd=ROOT, check=False).returncode


def test_workflows() -> list[list[str]]:
    """The workflows `kit test` runs, in order: sanitizers first, dev (with docs
    and slides) last, so CTest's summary of the dev run ends the output."""
    tsan = ["cmake", "--workflow", "--preset", "tsan"]
    if shutil.which("setarch"):
        # TSan needs a fixed address layout; setarch -R turns off randomisation.
        tsan = ["setarch", platform.machine(), "-R"] + tsan
    return [["cmake", "--workflow", "--preset", "asan"], tsan,
            ["cmake", "--workflow", "--preset", "dev"]]


def cmd_test(args: list[str]) -> int:
    """ASan+UBSan, then TSan, then the dev workflow; CTest's summary is the last thing printed."""
    parse_options(args, [], max_positional=0)
    workflows = test_workflows()
    failed = []
    for step, command in enumerate(workflows, start=1):
        print(paint(f"kit test {step}/{len(workflows)}: {show_command(command)}", "bold"),
              flush=True)
        if run_streamed(command) != 0:
            failed.append(command[command.index("--preset") + 1])
    if failed:
        print(f"kit test: the {' and '.join(failed)} workflow failed (see above)", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------
# Command line


HELP = """\
usage: ./kit COMMAND [ARGS]

Learn event loops one stage at a time. STAGE is a number (0, 00) or a name
(00-blocking); where it is optional it defaults to the first stage you have
not passed yet.

  list                  every stage, your progress and the next one to do
  check [STAGE]         build your exercise and run its tests
  hint [STAGE] [--all]  the next hint (--all: every hint you have seen)
  watch [STAGE]         check again whenever you save a file
  solution STAGE        your code next to the reference (after it passes;
                        --force to look before)
  reset STAGE [--yes]   put back the exercise files as shipped (git)
  doctor                which tools are missing and how to get them
  demo [OPTIONS]        the classroom demo (options: ./kit demo --help)
  test                  every test: ASan+UBSan and TSan builds, then the dev build
  setup                 what is installed (./kit installs what is missing)
  help                  this text

Start with lessons/00-blocking.md, then: ./kit check 0
"""


def cmd_help(args: list[str]) -> int:
    print(HELP, end="")
    return 0


def parse_options(args: list[str], allowed: list[str], max_positional: int,
                  min_positional: int = 0) -> tuple[list[str], set[str]]:
    """Split args into positionals and --flags; reject anything unexpected."""
    positional = [a for a in args if not a.startswith("-")]
    options = {a for a in args if a.startswith("-")}
    unknown = sorted(options - set(allowed))
    if unknown:
        raise UsageError(f"unknown option '{unknown[0]}' (see ./kit help)")
    if len(positional) > max_positional:
        raise UsageError(f"too many arguments: {' '.join(positional)} (see ./kit help)")
    if len(positional) < min_positional:
        raise UsageError("this command needs a STAGE, e.g. 0 (see ./kit help)")
    return positional, options


COMMANDS = {
    "list": cmd_list,
    "check": cmd_check,
    "hint": cmd_hint,
    "watch": cmd_watch,
    "solution": cmd_solution,
    "reset": cmd_reset,
    "doctor": cmd_doctor,
    "demo": cmd_demo,
    "test": cmd_test,
    "setup": cmd_setup,
    "help": cmd_help,
    "--help": cmd_help,
    "-h": cmd_help,
}


def main(argv: list[str]) -> int:
    # A terminal that cannot show a character gets '?' instead of a crash.
    sys.stdout.reconfigure(errors="replace")
    if not argv:
        return cmd_help([])
    command = COMMANDS.get(argv[0])
    try:
        if command is None:
            raise UsageError(f"unknown command '{argv[0]}' (see ./kit help)")
        return command(argv[1:])
    except KitError as error:
        sys.stdout.flush()
        print(f"kit: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\nkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (./kit list | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
