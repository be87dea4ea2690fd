#!/usr/bin/env python3
"""kit: the learner's command line for the event-loop kit.

You work through the kit one stage at a time. Each stage NN has a lesson
(lessons/NN-name.md), an exercise you fill in (exercises/NN-name/) and tests
that check it (tests/NN-name/). This program ties them together:

    ./kit list            every stage, your progress, the next one to do
    ./kit check [N]       build your exercise N and run its tests
    ./kit hint N          the next hint for stage N
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

Each command is one small module of tools/kitcli/ (its __init__.py lists them).
"""

import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the learner's tools/
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kitcli.cli import main  # noqa: E402  (needs the path set above)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
