"""Stage 2 behaviour: the fetch client on the Loop, with a choice of backend.

Stage 1's behaviour tests also run against this program, once per backend
(tests/CMakeLists.txt: stage02.<track>.behaviour.01-select.<backend>): same
contract, same trace, on select and on poll. The tests here are about what
stage 2 adds: --backend, and the name every backend answers to.
"""
from __future__ import annotations

import pytest

from contract import check_usage_error
from fetchrun import run_fetch

BACKENDS = ["select", "poll"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_fetches_and_traces_the_same(servers, backend):
    urls = [servers.delayed(300), servers.delayed(100)]
    run = run_fetch(urls, args=["--backend", backend])
    assert run.finish_order() == urls[::-1], \
        f"expected the faster server first on {backend}, got {run.finish_order()}"
    assert run.waits(), f"expected the loop's waits in the trace on {backend}, got none"


def test_help_lists_the_backends_the_default_first():
    run = run_fetch([], args=["--help"], trace=False, check_contract=False)
    assert "--backend poll|select" in run.stdout, \
        f"expected --help to list the backends, the default first, got {run.stdout!r}"


@pytest.mark.parametrize("args", [
    ["--backend", "epool", "http://127.0.0.1/"],
    ["--backend=", "http://127.0.0.1/"],
    ["http://127.0.0.1/", "--backend"],
], ids=["unknown", "empty", "missing"])
def test_a_bad_backend_is_a_usage_error(args):
    check_usage_error(args)


def test_an_unknown_backend_names_the_known_ones():
    run = run_fetch([], args=["--backend", "epool", "http://127.0.0.1/"], trace=False,
                    check_contract=False)
    assert "unknown backend 'epool'" in run.stderr and "select" in run.stderr \
        and "poll" in run.stderr, \
        f"expected the error to name the known backends, got {run.stderr!r}"
