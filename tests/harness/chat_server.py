"""Stage 8's chat servers, started for a test or a benchmark and stopped after.

Every chat server speaks src/stages/08-async/CHAT_API.md and takes
`--port 0 --poll-timeout SECONDS`; its first line on stdout is
"listening on http://127.0.0.1:PORT/". Today the one server is the Node.js
reference (tools/bench_chat/chat_node.js); the kit's own joins through
KIT_CHAT_SERVER, a command line (e.g. "build/dev/.../serve --app chat").
tests/browser/test_chat_browser.py and tools/bench_chat/bench_chat.py use this.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_CHAT = ROOT / "tools" / "bench_chat" / "chat_node.js"


def node() -> str:
    """The node binary: KIT_NODE if set, else the first node on PATH."""
    found = os.environ.get("KIT_NODE") or shutil.which("node") or shutil.which("nodejs")
    if not found:
        raise RuntimeError("node is not installed (tools/setup.sh installs Debian's nodejs)")
    return found


def server_commands() -> dict[str, list[str]]:
    """Each chat server under test, by name, as a command without its flags."""
    commands = {"node": [node(), str(NODE_CHAT)]}
    if os.environ.get("KIT_CHAT_SERVER"):
        commands["kit"] = shlex.split(os.environ["KIT_CHAT_SERVER"])
    return commands


class ChatServer:
    """A chat server process on a free port: `with ChatServer(cmd, 2) as s: s.url`."""

    def __init__(self, command: list[str], poll_timeout_s: float, start_limit_s: float = 10):
        self.command = list(command) + ["--port", "0", "--poll-timeout", f"{poll_timeout_s:g}"]
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True)
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(start_limit_s)
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))/\n",
                             first_line[0] if first_line else "")
        if not match:
            self.stop()
            raise RuntimeError(f"{shlex.join(self.command)} did not say 'listening on "
                               f"http://127.0.0.1:PORT/' within {start_limit_s} s; "
                               f"stdout {first_line!r}, stderr {self.stderr()!r}")
        self.base = match.group(1)        # http://127.0.0.1:PORT
        self.port = int(match.group(2))
        self.url = self.base + "/chat/"   # the page

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s; safe to call twice."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> "ChatServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._stderr.close()
