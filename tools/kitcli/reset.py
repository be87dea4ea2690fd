"""./kit reset STAGE [--yes] [--from REF]: put back the exercise as it was shipped.

"As shipped" is the kit's commit the learner's work is based on, not git's
index or HEAD (a learner may have staged or committed their work): the
merge base of HEAD with the branch it was cloned from (its upstream, else
origin/HEAD). --from REF names the shipped commit when there is no such
branch (e.g. --from origin/main, or a tag).
"""

from __future__ import annotations

import shutil
import subprocess

from kitcli.progress import forget_check
from kitcli.stages import find_stage
from kitcli.ui import ROOT, KitError, UsageError, confirm, parse_options, run_captured


def git_output(*args: str) -> subprocess.CompletedProcess:
    return run_captured(["git", "-C", str(ROOT), *args])


def split_from(args: list[str]) -> tuple[list[str], str | None]:
    """Take '--from REF' (or '--from=REF') out of args."""
    rest, ref = [], None
    words = iter(args)
    for word in words:
        if word == "--from":
            ref = next(words, None)
            if ref is None:
                raise UsageError("--from needs a git commit, e.g. --from origin/main")
        elif word.startswith("--from="):
            ref = word.split("=", 1)[1]
        else:
            rest.append(word)
    return rest, ref


def shipped_commit(named: str | None) -> str:
    """The commit the exercise is restored from: --from REF, else the merge base
    of HEAD with its upstream (or origin/HEAD)."""
    if named is not None:
        found = git_output("rev-parse", "--verify", "--quiet", named + "^{commit}")
        if found.returncode != 0:
            raise KitError(f"git knows no commit '{named}'")
        return found.stdout.strip()
    for branch in ("@{upstream}", "origin/HEAD"):
        base = git_output("merge-base", "HEAD", branch)
        if base.returncode == 0:
            return base.stdout.strip()
    raise KitError("cannot tell which commit the kit was shipped as: this branch has no "
                   "upstream and there is no origin/HEAD; name it, e.g. "
                   "./kit reset N --from origin/main")


def cmd_reset(args: list[str]) -> int:
    args, named = split_from(args)
    positional, options = parse_options(args, ["--yes"], max_positional=1, min_positional=1)
    stage = find_stage(positional[0])
    target = f"exercises/{stage.slug}"
    if shutil.which("git") is None or git_output("rev-parse", "--show-toplevel").returncode != 0:
        raise KitError("reset needs a git checkout of the kit (this one is not), "
                       f"so it cannot tell what {target}/ looked like when shipped")
    shipped = shipped_commit(named)
    if not git_output("ls-tree", "-r", "--name-only", shipped, "--", target).stdout.strip():
        raise KitError(f"the shipped commit {shipped[:12]} has no {target}/")
    # Against the work tree: what the learner changed, staged, committed or deleted
    # (files they added are not the kit's: --diff-filter=a leaves them out).
    changes = git_output("diff", "--name-only", "--diff-filter=a", shipped, "--", target).stdout
    if not changes.strip():
        print(f"{target}/ is already as shipped (commit {shipped[:12]}): nothing to reset.")
        return 0
    print(f"Resetting {target}/ to the shipped commit {shipped[:12]} throws away your "
          "changes to:")
    for line in changes.splitlines():
        print("  " + line)
    if "--yes" not in options and not confirm("Reset these files? [y/N] "):
        print("Nothing changed.")
        return 1
    result = git_output("checkout", shipped, "--", target)  # the index and the files
    if result.returncode != 0:
        raise KitError("git checkout failed: " + result.stdout.strip())
    forget_check(stage)
    print(f"Stage {stage.nn} is back to the shipped exercise (files you added yourself are "
          "kept; a commit of your work stays in git's history).")
    return 0
