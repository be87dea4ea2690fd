"""kitcli: the commands of ./kit, one module per command (tools/kit.py runs them).

A teacher who wants to change one command opens one small module:

    ui.py         colours, errors, running programs, option parsing (shared)
    stages.py     the stages: one per exercises/NN-name/ folder
    progress.py   build/kit-progress.json: each stage's last check and hints seen
    check.py      ./kit check: build, run the stage's tests (report.py explains them)
    report.py     what failed, from JUnit XML and ctest's output
    sanitizer.py  crashes, and the top of a sanitizer report
    listing.py    ./kit list
    hint.py       ./kit hint
    watch.py      ./kit watch
    solution.py   ./kit solution
    reset.py      ./kit reset
    doctor.py     ./kit doctor and ./kit setup
    demo.py       ./kit demo (the demos themselves are tools/demo.py)
    suite.py      ./kit test
    cli.py        the help text and the table of commands

Standard library only (python3 >= 3.9).
"""
