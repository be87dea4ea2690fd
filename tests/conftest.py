"""Fixtures shared by every stage's behaviour tests.

`servers` starts fixture HTTP servers on 127.0.0.1 (see harness/fixtures.py)
and stops every one of them when the test ends, pass or fail.
`hung_connect` is a URL whose connect never completes (Linux only).
"""
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness"))

from fixtures import ServerPool  # noqa: E402  (needs the path set above)


@pytest.fixture
def servers():
    """A ServerPool that is closed when the test ends."""
    with ServerPool() as pool:
        yield pool


@pytest.fixture
def hung_connect():
    """A URL whose connect never completes: a listener with a full backlog.

    listen(0) queues one finished handshake; we make it (and never accept),
    so the kernel drops every later SYN and the client's connect() stays in
    progress, retrying, for minutes. Linux behaves so; elsewhere, or if a
    probe connects after all, the test is skipped rather than made to lie.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("a full listen backlog drops SYNs on Linux; other systems may answer RST")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=2)
    probe = socket.socket()
    probe.setblocking(False)
    try:
        probe.connect_ex(("127.0.0.1", port))
        time.sleep(0.2)
        if probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and \
                probe.getpeername() is not None:
            pytest.skip("a connect to a listener with a full backlog completed here")
    except OSError:
        pass  # not connected: getpeername() fails with ENOTCONN, as we want
    finally:
        probe.close()
    yield f"http://127.0.0.1:{port}/"
    filler.close()
    listener.close()
