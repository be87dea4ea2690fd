"""Crashes and sanitizer reports, for ./kit check.

A crashed test tells the learner little; the same test built with
AddressSanitizer + UndefinedBehaviorSanitizer names the bug (a
use-after-free, an overflow) and the line. These find a crash in a test's
result and the top of a sanitizer report in its output.
"""

from __future__ import annotations

import re

from kitcli.ui import strip_root

SANITIZER_START = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:"
                             r"|WARNING: ThreadSanitizer")
CRASH_WORDS = re.compile(r"killed by signal|Segmentation fault|Aborted|SIGSEGV|SIGABRT")


def crashed(status: str, messages: list[str]) -> bool:
    """Did a test (or a program it ran) die of a signal rather than answer wrongly?

    status is ctest's verdict, messages what the test's failures say.
    """
    return "Exception" in status or any(CRASH_WORDS.search(line) for line in messages)


def has_report(lines: list[str]) -> bool:
    return any(SANITIZER_START.search(line) for line in lines)


def sanitizer_lines(lines: list[str], frames: int = 6) -> list[str]:
    """The top of the first sanitizer report in lines: what happened, and where.

    A report quoted inside a pytest message carries pytest's 'E   ' prefix;
    it is taken off.
    """
    plain = [re.sub(r"^E {1,3}", "", line).rstrip() for line in lines]
    for start, line in enumerate(plain):
        if SANITIZER_START.search(line):
            break
    else:
        return []
    top = [re.sub(r"^==\d+==", "", plain[start]).strip()]
    shown = 0
    for line in plain[start + 1:]:
        frame = re.match(r"^\s*#\d+ 0x[0-9a-f]+ in (.*)$", line)
        if frame and re.match(r"^(\S+ )?std::", frame.group(1)):
            continue  # the standard library's plumbing (std::function): not the learner's
        if frame:
            top.append("  at " + strip_root(frame.group(1)))
            shown += 1
            if shown == frames or frame.group(1).startswith("main "):
                break  # enough, or below main() only the C library's start-up
        elif shown and not line.strip():
            break  # the end of the first stack
        elif line.startswith("SUMMARY:"):
            break
    return top


