"""Shared by every command: colour, errors the learner reads, running programs.

Every program the kit runs, it runs from the repository root, and it says
which command it ran, so the learner can type it too.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Colour only on a terminal, and never when NO_COLOR is set.
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


def strip_root(text: str) -> str:
    """Make absolute paths inside the repository relative, for shorter lines."""
    return text.replace(str(ROOT) + os.sep, "")


class KitError(Exception):
    """An error with a message for the learner (no traceback) and an exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(KitError):
    """A wrong command or argument: exit code 2."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


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


def confirm(question: str) -> bool:
    print(question, end="", flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print()
    return answer.strip().lower() in ("y", "yes")


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
