"""The command line of ./kit: the help text, the table of commands, main()."""

from __future__ import annotations

import os
import sys

from kitcli.check import cmd_check
from kitcli.demo import cmd_demo
from kitcli.doctor import cmd_doctor, cmd_setup
from kitcli.hint import cmd_hint
from kitcli.listing import cmd_list
from kitcli.reset import cmd_reset
from kitcli.solution import cmd_solution
from kitcli.suite import cmd_test
from kitcli.ui import KitError, UsageError
from kitcli.watch import cmd_watch

HELP = """\
usage: ./kit COMMAND [ARGS]

Learn event loops one stage at a time. STAGE is a number (0, 00) or a name
(00-blocking); where it is optional it defaults to the first stage you have
not passed yet.

  list                  every stage, your progress and the next one to do
  check [STAGE]         build your exercise and run its tests; a crashed test
                        is rerun under AddressSanitizer (--sanitize: all of them)
  hint STAGE [--all]    the next hint (--all: every hint you have seen);
                        without STAGE: which stage, and nothing spent
  watch [STAGE]         check again whenever you save a file
  solution STAGE        your code next to the reference (after it passes;
                        --force to look before)
  reset STAGE [--yes]   put back the exercise files as shipped (git;
                        --from REF names the shipped commit)
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
