"""Stage 8's chat in a real browser (lesson 8), against every chat server.

Starts each server (tests/harness/chat_server.py: the Node.js reference
today, the kit's own through KIT_CHAT_SERVER) with a short long-poll timeout
and runs chat_browser.mjs on it: headless Debian Chromium opens the page
twice, a message typed in one appears in the other, and both keep working
after the timeout released their parked polls. A planted fault (a page that
uses innerHTML and gives up on 204) shows the driver notices.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "harness"))

from chat_server import ChatServer, node, server_commands  # noqa: E402

POLL_TIMEOUT_S = 2
PAGE = HERE.parents[1] / "src" / "stages" / "08-async" / "chat.html"


def run_driver(url: str, poll_timeout_s: float = POLL_TIMEOUT_S,
               bound_s: float = 5) -> subprocess.CompletedProcess:
    if not (HERE / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail("puppeteer-core is not installed: run tools/setup.sh (npm ci in tests/browser)")
    if not Path(os.environ.get("KIT_CHROMIUM", "/usr/bin/chromium")).exists():
        pytest.fail("no Chromium at /usr/bin/chromium: run tools/setup.sh (Debian's chromium)")
    # The driver bounds itself (its watchdog); this bound is for a driver that hangs anyway.
    return subprocess.run([node(), str(HERE / "chat_browser.mjs"), url,
                           "--poll-timeout", str(poll_timeout_s), "--bound", str(bound_s)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", server_commands().keys())
def test_two_pages_chat_through_the_server(name):
    with ChatServer(server_commands()[name], POLL_TIMEOUT_S) as server:
        result = run_driver(server.url)
        assert result.returncode == 0, (
            f"{name}: the browser checks failed:\n{result.stdout}{result.stderr}"
            f"\nserver's stderr:\n{server.stderr()}")
        assert "all checks passed" in result.stdout


def broken_copy_of_the_page(folder: Path) -> Path:
    """The page with two planted faults: innerHTML for a message, and a long
    poll that stops at the first 204 instead of asking again."""
    page = PAGE.read_text()
    faults = {"item.textContent = message;": "item.innerHTML = message;",
              "if (response.status === 204) {": "if (response.status === 204) { return;"}
    for right, wrong in faults.items():
        assert page.count(right) == 1, f"the page no longer has {right!r}: update this test"
        page = page.replace(right, wrong)
    broken = folder / "broken_chat.html"
    broken.write_text(page)
    return broken


def test_the_driver_notices_a_broken_page(tmp_path):
    # A longer long-poll timeout here: the broken page stops at its first
    # 204, so the first checks must be over before any poll times out (they
    # take about a second; 8 s is the margin). A short bound: the checks
    # that fail wait for all of it.
    poll_timeout_s = 8
    command = server_commands()["node"] + ["--page", str(broken_copy_of_the_page(tmp_path))]
    with ChatServer(command, poll_timeout_s) as server:
        result = run_driver(server.url, poll_timeout_s=poll_timeout_s, bound_s=2)
    report = result.stdout + result.stderr
    assert result.returncode == 1, report
    assert "ok   a message typed in page A appears in page B" in report
    assert "FAIL a message that looks like HTML is shown as text" in report
    assert "FAIL after the long-poll timeout, a message from B still appears in A" in report
