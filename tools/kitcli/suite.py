"""./kit test: every test of the kit, as CI runs it (.ci/run).

ASan+UBSan, then TSan, then the dev workflow (with the docs and the
slides), so CTest's summary of the dev run is the last thing printed.
"""

from __future__ import annotations

import platform
import shutil
import sys

from kitcli.ui import paint, parse_options, run_streamed, show_command


def test_workflows() -> list[list[str]]:
    """The workflows `kit test` runs, in order."""
    tsan = ["cmake", "--workflow", "--preset", "tsan"]
    if shutil.which("setarch"):
        # TSan needs a fixed address layout; setarch -R turns off randomisation.
        tsan = ["setarch", platform.machine(), "-R"] + tsan
    return [["cmake", "--workflow", "--preset", "asan"], tsan,
            ["cmake", "--workflow", "--preset", "dev"]]


def cmd_test(args: list[str]) -> int:
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
