"""./kit doctor and ./kit setup: which tools are there, which are missing.

Two lists: what a learner needs to check a stage (a compiler, CMake, Ninja,
GoogleTest, pytest) and what only a teacher or `./kit test` needs (the docs,
the slides, the timeline images, a browser). Doctor fails (exit 1) only
when the learner's list is incomplete.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kitcli.ui import ROOT, heading, paint, parse_options, relative

APT = "sudo apt-get install -y --no-install-recommends"


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


Checks = list[tuple[Tool, tuple[bool, str]]]


def learner_checks() -> Checks:
    """What `./kit check` needs: build a stage and run its tests."""
    return [
        (Tool("cmake >= 3.25", f"{APT} cmake", "brew install cmake"), probe_cmake()),
        (Tool("ninja", f"{APT} ninja-build", "brew install ninja"),
         probe_version("ninja", "--version")),
        (Tool("C++20 compiler", f"{APT} g++", "xcode-select --install"), probe_cxx20()),
        (Tool("GoogleTest (CMake package)", f"{APT} libgtest-dev libgmock-dev",
              "brew install googletest"), probe_gtest()),
        (Tool("python3 with pytest", f"{APT} python3-pytest",
              "python3 -m venv .venv && . .venv/bin/activate && pip install pytest matplotlib"),
         probe_module("pytest")),
    ]


def teacher_checks() -> Checks:
    """What only `./kit test`, the slides and the lesson images need."""
    return [
        (Tool("matplotlib", f"{APT} python3-matplotlib",
              ". .venv/bin/activate && pip install matplotlib"), probe_module("matplotlib")),
        (Tool("doxygen", f"{APT} doxygen", "brew install doxygen"),
         probe_version("doxygen", "--version")),
        (Tool("dot (graphviz)", f"{APT} graphviz", "brew install graphviz"),
         probe_version("dot", "-V")),
        (Tool("node + npm", f"{APT} nodejs npm", "brew install node"), probe_node()),
        (Tool("slides/node_modules", "./kit setup (npm ci in slides/)", "cd slides && npm ci"),
         probe_slides_modules()),
        (Tool("chromium", f"{APT} chromium", "brew install --cask chromium"), probe_chromium()),
        (Tool("curl", f"{APT} curl", "brew install curl"), probe_version("curl", "--version")),
    ]


def print_checks(checks: Checks, with_fixes: bool) -> int:
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


def print_both(with_fixes: bool) -> tuple[int, int]:
    heading(f"To learn: ./kit check ({platform.system()} {platform.machine()})")
    learner = print_checks(learner_checks(), with_fixes)
    print()
    heading("To teach, and for ./kit test (the docs, the slides, the lesson images)")
    teacher = print_checks(teacher_checks(), with_fixes)
    print()
    return learner, teacher


def cmd_doctor(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    learner, teacher = print_both(with_fixes=True)
    if learner:
        print(f"{learner} of the learner's tools missing: ./kit check cannot work without "
              "them. On Debian, `sudo ./kit setup` installs everything at once.")
        return 1
    if teacher:
        print(paint(f"Everything a learner needs is there. {teacher} of the teacher's tools "
                    "missing: only ./kit test and the slides need them.", "green"))
        return 0
    print(paint("Everything is there.", "green"))
    return 0


def cmd_setup(args: list[str]) -> int:
    parse_options(args, [], max_positional=0)
    print("Setup is done (./kit ran tools/setup.sh). What is installed now:")
    print()
    learner, teacher = print_both(with_fixes=False)
    if learner or teacher:
        print(f"{learner + teacher} still missing; ./kit doctor says how to get them.")
    return 0
