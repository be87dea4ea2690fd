"""longpoll-load (tools/bench_chat): it must notice a chat server that breaks
the contract, or bench-chat's figures would measure nothing.

Each test plants one fault in a copy of the Node.js reference
(tools/bench_chat/chat_node.js) and checks that the load tool fails on it
and says why; the unchanged reference passes (bench-chat.smoke runs it too).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KIT_BUILD_DIR") or REPO / "build" / "dev")  # ctest sets it
LOAD = BUILD / "tools" / "bench_chat" / "longpoll-load"
PAGE = REPO / "src" / "stages" / "08-async" / "chat.html"
sys.path.insert(0, str(REPO / "tests" / "harness"))

from chat_server import NODE_CHAT, ChatServer, node  # noqa: E402


@pytest.fixture(autouse=True)
def built():
    if not LOAD.is_file():
        pytest.fail(f"{LOAD} is missing: build the longpoll-load target")


def chat_with_fault(folder: Path, right: str, wrong: str) -> list[str]:
    source = NODE_CHAT.read_text()
    assert source.count(right) == 1, f"chat_node.js no longer has {right!r}: update this test"
    broken = folder / "chat_broken.js"
    broken.write_text(source.replace(right, wrong))
    return [node(), str(broken), "--page", str(PAGE)]


def load(command: list[str], *args: str, time_limit: str = "3") -> subprocess.CompletedProcess:
    """Runs longpoll-load on a server started from `command`, with `args`
    ("--pid-of-server" stands for --pid and the server's pid)."""
    with ChatServer(command, poll_timeout_s=60) as server:
        args = [a for arg in args
                for a in (["--pid", str(server.pid)] if arg == "--pid-of-server" else [arg])]
        return subprocess.run([str(LOAD), "--port", str(server.port), "--clients", "50",
                               "--time-limit", time_limit, *args],
                              capture_output=True, text=True, timeout=30)


def test_the_reference_passes():
    result = load([node(), str(NODE_CHAT)], "--close", "10", "--pid-of-server")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "40 clients answered exactly once" in result.stdout
    assert "bytes each" in result.stdout and "after the drop" in result.stdout


def test_a_wrong_answer_fails(tmp_path):
    result = load(chat_with_fault(tmp_path, "send(waiter.response, 200, {id, message: text});",
                                  "send(waiter.response, 200, {id: id + 1, message: text});"))
    assert result.returncode == 1
    assert "FAIL 50 of 50 clients got a wrong answer" in result.stdout


def test_a_second_answer_fails(tmp_path):
    result = load(chat_with_fault(
        tmp_path, "send(waiter.response, 200, {id, message: text});",
        "send(waiter.response, 200, {id, message: text});"
        " waiter.response.socket.write('HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n');"))
    assert result.returncode == 1
    assert "more than one answer" in result.stdout


def test_parked_clients_that_are_never_dropped_fail(tmp_path):
    result = load(chat_with_fault(tmp_path, "if (waiters.delete(waiter)) {", "if (false) {"),
                  "--close", "10")
    assert result.returncode == 1
    assert "FAIL time limit (3 s) reached while waiting for the server to report 40 parked" \
        in result.stdout



def test_a_dropped_client_whose_fd_stays_open_fails(tmp_path):
    # The chat forgets the waiter but the process keeps one fd for it, as a
    # server that drops the context and forgets to close the socket would.
    result = load(chat_with_fault(tmp_path, "if (waiters.delete(waiter)) {",
                                  "if (waiters.delete(waiter) && fs.openSync('/dev/null')) {"),
                  "--close", "10", "--pid-of-server")
    assert result.returncode == 1
    assert "FAIL time limit (3 s) reached while waiting for the server to close the dropped " \
        "clients' fds" in result.stdout
