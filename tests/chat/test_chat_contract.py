"""Stage 8's chat contract (src/stages/08-async/CHAT_API.md), checked on every chat server.

The servers are tests/harness/chat_server.py's: the Node.js reference today,
the kit's own once KIT_CHAT_SERVER names it. Real sockets on 127.0.0.1:
http.client for plain requests, raw sockets where a request must stay
parked, be closed, or share a connection.
"""
import http.client
import json
import socket
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from chat_server import ChatServer, server_commands  # noqa: E402

PAGE = ROOT / "src" / "stages" / "08-async" / "chat.html"
POLL_TIMEOUT_S = 1


@pytest.fixture(params=list(server_commands()), scope="module")
def server(request):
    with ChatServer(server_commands()[request.param], POLL_TIMEOUT_S) as running:
        yield running


def call(server, method, path, body=None, headers=None):
    """One request on a fresh connection: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def post(server, message_body, content_type="application/json"):
    data = message_body if isinstance(message_body, bytes) else json.dumps(message_body).encode()
    return call(server, "POST", "/chat/post", data, {"Content-Type": content_type})


def stats(server):
    status, _, body = call(server, "GET", "/chat/stats")
    assert status == 200
    return json.loads(body)


def wait_for(condition, limit_s=3.0):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class RawClient:
    """A keep-alive connection that sends requests and reads whole responses."""

    def __init__(self, server):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        self.buffer = b""

    def send(self, path):
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())

    def response(self):
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def close(self):
        self.sock.close()


def test_the_page_is_the_file_in_the_repository(server):
    status, headers, body = call(server, "GET", "/chat/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert body == PAGE.read_bytes()


def test_posted_messages_are_numbered_and_read_back(server):
    first = stats(server)["messages"]
    text = "héllo, wörld ✓"
    status, headers, body = post(server, {"message": text})
    assert (status, json.loads(body)) == (200, {"id": first})
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Cache-Control"] == "no-store"
    assert json.loads(post(server, {"message": "second"})[2]) == {"id": first + 1}
    status, _, body = call(server, "GET", f"/chat/get/{first}")
    assert (status, json.loads(body)) == (200, {"id": first, "message": text})
    status, _, body = call(server, "GET", f"/chat/get/{first + 5}")
    assert status == 404
    assert json.loads(body)["error"] == f"no message {first + 5} yet; next is {first + 2}"


BAD_BODIES = [
    (b"{", "malformed JSON"),
    (b"[1, 2]", "not an object"),
    (b'"hi"', "not an object"),
    (b"{}", "message missing"),
    (b'{"message": 7}', "not a string"),
    (b'{"message": null}', "not a string"),
    (b'{"message": ""}', "empty"),
    (json.dumps({"message": "a" * 1001}).encode(), "1001 bytes"),
    (json.dumps({"message": "é" * 501}, ensure_ascii=False).encode(), "1002 bytes of UTF-8"),
    (b'{"message": "\xff"}', "not UTF-8"),
    (b'{"message": "\\ud800"}', "a lone surrogate"),
]


@pytest.mark.parametrize("body, what", BAD_BODIES, ids=[what for _, what in BAD_BODIES])
def test_bad_input_is_a_400_with_a_message(server, body, what):
    before = stats(server)["messages"]
    status, _, answer = post(server, body)
    assert status == 400, what
    assert json.loads(answer)["error"], what
    assert stats(server)["messages"] == before, f"{what}: a refused message was stored"


def test_a_message_of_exactly_1000_bytes_is_accepted(server):
    assert post(server, {"message": "é" * 500})[0] == 200


def test_a_post_that_is_not_json_is_a_415(server):
    status, _, body = post(server, {"message": "hi"}, content_type="text/plain")
    assert status == 415 and json.loads(body)["error"]
    assert post(server, {"message": "hi"}, "application/json; charset=utf-8")[0] == 200


def test_a_body_over_the_limit_is_a_413(server):
    status, _, body = post(server, b'{"message": "' + b"a" * 20000 + b'"}')
    assert status == 413 and json.loads(body)["error"]


@pytest.mark.parametrize("index", ["-1", "+1", "abc", "1234567890", "1.5", ""])
def test_a_bad_index_is_a_400(server, index):
    status, _, body = call(server, "GET", f"/chat/get/{index}")
    assert status == 400 and json.loads(body)["error"]


def test_wrong_methods_and_paths(server):
    status, headers, _ = call(server, "DELETE", "/chat/stats")
    assert status == 405 and headers["Allow"] == "GET"
    status, headers, _ = call(server, "GET", "/chat/post")
    assert status == 405 and headers["Allow"] == "POST"
    status, _, body = call(server, "GET", "/chat/nowhere")
    assert status == 404 and json.loads(body)["error"]


def test_a_parked_request_is_answered_by_the_next_post(server):
    count = stats(server)["messages"]
    waiters = [RawClient(server) for _ in range(3)]
    for waiter in waiters:
        waiter.send(f"/chat/get/{count}")
    assert wait_for(lambda: stats(server)["parked"] == 3)
    assert post(server, {"message": "to all three"})[0] == 200
    for waiter in waiters:
        status, headers, body = waiter.response()
        assert (status, json.loads(body)) == (200, {"id": count, "message": "to all three"})
        waiter.close()
    assert stats(server)["parked"] == 0


def test_the_timeout_answers_204_and_the_connection_stays_usable(server):
    count = stats(server)["messages"]
    client = RawClient(server)
    started = time.monotonic()
    client.send(f"/chat/get/{count}")
    status, headers, body = client.response()
    waited = time.monotonic() - started
    assert status == 204 and body == b""
    assert "content-length" not in headers, "RFC 9110: no Content-Length in a 204"
    assert POLL_TIMEOUT_S * 0.5 < waited < POLL_TIMEOUT_S * 5
    # Keep-alive: the client polls again on the same connection.
    client.send(f"/chat/get/{count}")
    assert wait_for(lambda: stats(server)["parked"] == 1)
    post(server, {"message": "after a 204"})
    assert client.response()[0] == 200
    client.close()


def test_a_client_that_leaves_while_parked_is_dropped(server):
    count = stats(server)["messages"]
    client = RawClient(server)
    client.send(f"/chat/get/{count}")
    assert wait_for(lambda: stats(server)["parked"] == 1)
    client.close()
    assert wait_for(lambda: stats(server)["parked"] == 0, limit_s=POLL_TIMEOUT_S * 0.5), \
        "the departed client was not dropped before its timeout"


def test_connection_close_is_honoured(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /chat/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    assert data.startswith(b"HTTP/1.1 200 ")
