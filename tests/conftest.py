"""Fixtures shared by every stage's behaviour tests.

`servers` starts fixture HTTP servers on 127.0.0.1 (see harness/fixtures.py)
and stops every one of them when the test ends, pass or fail.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness"))

from fixtures import ServerPool  # noqa: E402  (needs the path set above)


@pytest.fixture
def servers():
    """A ServerPool that is closed when the test ends."""
    with ServerPool() as pool:
        yield pool
