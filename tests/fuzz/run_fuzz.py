"""Runs a libFuzzer target for a fixed number of executions and reports its figures.

CTest runs it briefly as fuzz.request_parser (tests/fuzz/CMakeLists.txt);
the target fuzz-request-parser-long runs it for ten million executions.
The checked-in seeds are read, never written: new inputs go to a corpus
folder in the build tree, emptied first with --fresh (the test does, so every
run starts from the same seeds). The run fails when the fuzzer finds a crash
or a broken invariant (its exit status, with the input saved in the corpus
folder as crash-*), or when it stops before the executions asked for.
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import time

# libFuzzer's last status line, e.g. "#200000 DONE cov: 312 ft: 1520 corp: 240/9Kb ..."
DONE_LINE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzzer", required=True, help="the libFuzzer binary")
    parser.add_argument("--seeds", required=True, help="checked-in seed inputs (read only)")
    parser.add_argument("--corpus", required=True, help="where new inputs and crashes go")
    parser.add_argument("--dict", help="a libFuzzer dictionary")
    parser.add_argument("--runs", type=int, required=True, help="executions to run")
    parser.add_argument("--max-len", type=int, default=4096, help="longest input to try")
    parser.add_argument("--fresh", action="store_true", help="empty the corpus folder first")
    options = parser.parse_args()

    corpus = pathlib.Path(options.corpus)
    if options.fresh:
        shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True, exist_ok=True)
    command = [options.fuzzer, f"-runs={options.runs}", f"-max_len={options.max_len}",
               f"-artifact_prefix={corpus}/", "-print_final_stats=1"]
    if options.dict:
        command.append(f"-dict={options.dict}")
    command += [str(corpus), options.seeds]  # new inputs go to the first folder
    print(" ".join(command), flush=True)

    started = time.monotonic()
    run = subprocess.run(command, stderr=subprocess.PIPE, text=True, errors="replace", check=False)
    seconds = time.monotonic() - started
    lines = run.stderr.splitlines()
    if run.returncode != 0:
        print("\n".join(lines[-60:]))
        print(f"run_fuzz: the fuzzer failed (exit {run.returncode}); the input is in {corpus}/crash-*")
        return 1
    done = next((DONE_LINE.match(line) for line in reversed(lines) if DONE_LINE.match(line)), None)
    if done is None:
        print("\n".join(lines[-30:]))
        print("run_fuzz: the fuzzer's output has no DONE line")
        return 1
    executions, edges, features, corpus_size = (int(group) for group in done.groups())
    print(f"run_fuzz: {executions} executions in {seconds:.1f} s "
          f"({executions / max(seconds, 1e-9):.0f}/s), {edges} edges covered, "
          f"{features} features, corpus {corpus_size} inputs")
    if executions < options.runs:
        print(f"run_fuzz: stopped after {executions} of {options.runs} executions")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
