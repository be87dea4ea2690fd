"""The exercise check: a shipped exercise must compile and fail its tests.

An exercise that already passes teaches nothing (and can be "solved" by
doing nothing); one that does not compile stops the learner before the
first step. CTest runs this once per stage as `stageNN.exercise-check`:
it runs that stage's exercise-track tests and passes only when they ran
and at least one of them failed. With --label, the tests of the exercise
track that carry that label instead (stage 5's stretch exercise).

usage: expect_failure.py --build-dir DIR --stage NN [--label NAME]
"""
import argparse
import os
import re
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--stage", required=True, help="two digits, e.g. 00")
    parser.add_argument("--label", help="the exercise's test label (default: stageNN)")
    options = parser.parse_args()
    label = options.label or f"stage{options.stage}"
    exercise = f"stage {options.stage}" + (f" ({options.label})" if options.label else "")

    cmd = ["ctest", "--test-dir", options.build_dir, "-L", f"^{label}$", "-L", "^exercise$"]
    # One failure per test file is all this check needs: pytest stops there
    # (-x), instead of waiting out every unanswered request of a shipped
    # exercise (stage 8's parked clients would cost minutes).
    environment = dict(os.environ, PYTEST_ADDOPTS="-x")
    done = subprocess.run(cmd, capture_output=True, text=True, env=environment)
    summary = re.search(r"(\d+) tests? failed out of (\d+)", done.stdout)
    not_run = "Not Run" in done.stdout or "Could not find executable" in done.stdout
    if summary is None or int(summary[2]) == 0:
        print(f"{exercise}: no exercise tests ran\n{done.stdout}")
        return 1
    if not_run:
        print(f"{exercise}: the exercise is not built (does it compile?)\n"
              f"{done.stdout}")
        return 1
    failed, total = int(summary[1]), int(summary[2])
    if failed == 0:
        print(f"{exercise}: the shipped exercise already passes all {total} tests; "
              "it must fail until the learner fills it in")
        return 1
    print(f"{exercise}: as shipped, the exercise fails {failed} of {total} test(s), "
          "as it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
