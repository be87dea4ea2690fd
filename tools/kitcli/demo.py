"""./kit demo [OPTIONS]: build what the demo runs, then run tools/demo.py.

Which stage: --stage N if given; else the newest stage the learner has
passed (./kit check), and never older than the demo's first stage
(tools/demo.py SCENARIOS). With --track exercise the learner's own
programs run, so the stages it runs must have passed. --help builds nothing.
"""

from __future__ import annotations

import subprocess
import sys

from kitcli.check import configure_if_needed
from kitcli.progress import load_progress, passed_stages
from kitcli.ui import ROOT, KitError, UsageError, paint, run_streamed, show_command

DEMO = ROOT / "tools" / "demo.py"


def run_demo(args: list[str]) -> int:
    sys.stdout.flush()
    return subprocess.run([sys.executable, str(DEMO), *args], cwd=ROOT, check=False).returncode


def default_stage(track: str, scenario) -> int:
    """The newest stage passed, at least the scenario's first; on the exercise track, the
    newest passed, which must be old enough."""
    passed = [s.number for s in passed_stages(load_progress())]
    newest = max(passed, default=None)
    if track == "solution":
        return max(newest if newest is not None else 0, scenario.first_stage)
    demo = f"./kit demo {scenario.option}".strip()
    if newest is None or newest < scenario.first_stage:
        raise KitError(f"{demo} --track exercise runs your own programs, and this demo needs "
                       f"stage {scenario.first_stage} or later ({scenario.needs}) passed: "
                       f"you have passed {_stages(passed)}; ./kit check {scenario.first_stage} "
                       f"(or run the reference: {demo})")
    if scenario.with_stage_0 and 0 not in passed:
        raise KitError(f"{demo} --track exercise also runs your stage 0, which has not "
                       "passed yet: ./kit check 0")
    return newest


def _stages(numbers: list[int]) -> str:
    return "stage " + ", ".join(map(str, numbers)) if numbers else "none yet"


def cmd_demo(args: list[str]) -> int:
    if "-h" in args or "--help" in args:
        return run_demo(["--help"])
    sys.path.insert(0, str(DEMO.parent))
    import demo as demo_tool  # noqa: E402  (tools/demo.py, whose SCENARIOS we need)

    try:
        options = demo_tool.parse_args(args)
    except SystemExit as stop:  # argparse has said what is wrong
        raise UsageError("see ./kit demo --help") from stop
    stage = options.stage
    if stage is None:
        stage = default_stage(options.track, options.scenario)
        args = [*args, "--stage", str(stage)]
    stages = ([0] if options.scenario.with_stage_0 else []) + [stage]
    targets = [f"{options.track}-{number:02d}" for number in dict.fromkeys(stages)]
    configure_if_needed()
    command = ["cmake", "--build", "--preset", "dev", "--target", *targets]
    print(paint(f"Building: {show_command(command)}", "dim"))
    if run_streamed(command) != 0:
        raise KitError("the demo's programs do not build (see above)")
    return run_demo(args)
