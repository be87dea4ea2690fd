"""What failed, and why: ctest's output, pytest's JUnit XML and sanitizer reports.

CTest runs each stage's pytest folder as one test and each GoogleTest case
as one test. For a pytest folder the JUnit XML file it writes
(build/<preset>/junit/<ctest name>.xml, see kit_add_pytest in
tests/CMakeLists.txt) names every failed test exactly; only when there is
none (pytest was killed) does the report fall back on pytest's text
output, and then it says how many failures it could not name.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from kitcli.sanitizer import sanitizer_lines
from kitcli.ui import ROOT, paint, relative, show_command, strip_root

CTEST_RESULT_LINE = re.compile(
    r"^\s*\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.*\s*(?P<status>\S.*?)\s+[\d.]+ sec$")
CTEST_START_LINE = re.compile(r"^\s+Start\s+\d+: ")
CTEST_SUMMARY_LINE = re.compile(r"^\d+% tests passed")


@dataclass
class TestResult:
    """One ctest test: its name, ctest's verdict and the test's own output."""

    name: str
    status: str  # as ctest prints it: "Passed", "***Failed", "***Timeout", ...
    output: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "Passed"


@dataclass
class Failure:
    """One failed check inside a test: a pytest test function or a GoogleTest case."""

    name: str  # may be "" when the output names nothing
    where: str  # "tests/00-blocking/test_x.py:20", or ""
    lines: list[str]  # what went wrong, ideally "expected ... got ..."


@dataclass
class Failures:
    """Every failure found in one ctest test, and how many more it failed unnamed."""

    found: list[Failure]
    unnamed: int = 0  # failures the output counts but does not name


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


# --- pytest's JUnit XML ------------------------------------------------------


def junit_file(build_dir: Path, test_name: str) -> Path:
    return build_dir / "junit" / f"{test_name}.xml"


def junit_failures(path: Path) -> Failures | None:
    """Every failed or erroring test case of a JUnit XML file; None if there is no usable file."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    found = []
    for case in root.iter("testcase"):
        for problem in list(case.findall("failure")) + list(case.findall("error")):
            text = strip_root(problem.text or "").splitlines()
            message = strip_root(problem.get("message") or "").strip()
            where = first_location(text)
            errors = [line for line in text if line.startswith("E ")]
            lines = main_error_lines(errors) if errors else message.splitlines()[:3]
            name = case.get("name", "")
            if problem.tag == "error":
                name += " (error outside the test: in a fixture)"
            found.append(Failure(name, where, lines + [line for line in sanitizer_lines(text)
                                                       if line not in lines]))
    return Failures(found)


# --- pytest's and GoogleTest's text output -----------------------------------


def repo_location(path: str, line: str) -> str:
    """A file:line the learner can open (pytest prints paths relative to tests/)."""
    for base in (ROOT, ROOT / "tests"):
        if (base / path).is_file():
            return f"{relative(base / path)}:{line}"
    return f"{path}:{line}"


def first_location(lines: list[str]) -> str:
    for line in lines:
        location = re.match(r"^(\S+\.py):(\d+): ", line)
        if location:
            return repo_location(location.group(1), location.group(2))
    return ""


def main_error_lines(error_lines: list[str], limit: int = 3) -> list[str]:
    """pytest's E-lines with the least indentation: the message and the assert.

    The more indented ones are pytest's diff details ("At index 0 diff", "+ where").
    """
    texts = [line[1:] for line in error_lines]
    indent = min(len(t) - len(t.lstrip()) for t in texts)
    main = [t.strip() for t in texts if len(t) - len(t.lstrip()) == indent]
    return [t.replace("AssertionError: ", "", 1) for t in main][:limit]


def pytest_failures(lines: list[str]) -> list[Failure]:
    """Each failing test of pytest's FAILURES / ERRORS report.

    A long test name gets a single '_' on each side (pytest fills the line
    to the terminal's width), so one underscore is enough to start a test.
    """
    failures: list[Failure] = []
    errors: list[list[str]] = []
    in_report = False
    for line in lines:
        if re.match(r"^=+ (FAILURES|ERRORS) =+$", line):
            in_report = True
        elif re.match(r"^=+ .* =+$", line):
            in_report = False
        elif in_report and re.match(r"^_+ \S.* _+$", line):
            failures.append(Failure(line.strip("_ "), "", []))
            errors.append([])
        elif in_report and failures and line.startswith("E "):
            errors[-1].append(line)
        elif in_report and failures and not failures[-1].where:
            failures[-1].where = first_location([line])
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


def pytest_failed_count(output: list[str]) -> int | None:
    """The failed + errors count of pytest's last line ('9 failed, 7 passed in 0.55s')."""
    summary = pytest_summary(output)
    if summary is None:
        return None
    counts = dict((word, int(n)) for n, word in re.findall(r"(\d+) (failed|errors?)", summary))
    return counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)


def pytest_summary(output: list[str]) -> str | None:
    """pytest's last line, such as '9 failed, 7 passed in 0.55s'."""
    for line in reversed(output):
        text = line.strip("= ")
        if re.match(r"^\d+ (failed|passed|error)", text):
            return text
    return None


def text_failures(output: list[str]) -> Failures:
    """The failures that pytest's or GoogleTest's text output names."""
    output = [strip_root(line) for line in output]
    found = pytest_failures(output) or gtest_failures(output)
    if not found:
        fallback = keyword_failure(output)
        found = [fallback] if fallback.lines else []
    report = sanitizer_lines(output)
    if found and report:
        found[0].lines += report
    counted = pytest_failed_count(output)
    unnamed = max(0, counted - len(found)) if counted is not None else 0
    return Failures(found, unnamed)


def find_failures(result: TestResult, build_dir: Path) -> Failures:
    """From the JUnit XML file when pytest wrote one, else from the output."""
    from_junit = junit_failures(junit_file(build_dir, result.name))
    if from_junit is not None and from_junit.found:
        return from_junit
    return text_failures(result.output)


# --- Printing one failed ctest test -------------------------------------------


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def report_one_test(result: TestResult, failures: Failures, rerun: str,
                    detailed: int = 3, listed: int = 30) -> None:
    """A failed ctest test: its first few failures in detail, then every other name."""
    width = shutil.get_terminal_size((100, 24)).columns - 8
    total = len(failures.found) + failures.unnamed
    counts = f" ({total} failed)" if total > 1 else ""
    print()
    print(paint(f"── {result.name}: ", "bold") + paint(describe_status(result.status), "red")
          + paint(counts, "dim"))
    for failure in failures.found[:detailed]:
        where = paint(f"  ({failure.where})", "dim") if failure.where else ""
        if failure.name or where:
            print("  " + paint("✗ ", "red") + failure.name + where)
        for line in failure.lines:
            print("      " + shorten(line, width))
    rest = failures.found[detailed:]
    if rest:
        print(f"  ... and {len(rest)} more:")
        for failure in rest[:listed]:
            print("    " + paint("✗ ", "red") + (failure.name or failure.where))
        if len(rest) > listed:
            print(f"    ({len(rest) - listed} more not shown)")
    if failures.unnamed:
        print(f"  ... and {failures.unnamed} more that the output does not name "
              "(rerun by hand to see them)")
    print(paint("  rerun by hand: ", "dim") + rerun)


def rerun_command(build_dir: Path, test_name: str) -> str:
    pattern = "^" + re.escape(test_name) + "$"
    return show_command(["ctest", "--test-dir", relative(build_dir), "-R", pattern,
                         "--output-on-failure"])
