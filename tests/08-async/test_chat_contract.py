"""Stage 8: the chat's HTTP contract (src/stages/08-async/CHAT_API.md).

Post and get, the page, and every bad input answered 400 (or 404, 415)
with a JSON message; a parked request answered by the next message, and
released with 204 on the poll timeout, after which the client's next poll
works on the same connection. On every backend.
"""
from __future__ import annotations

import json
import pathlib
import time

import pytest

from chatrun import chat_server, chat_stats, get, park, post
from fetchrun import backends_under_test, wait_until

BACKENDS = backends_under_test(["poll"])
backends = pytest.mark.parametrize("backend", BACKENDS)
PARK_S = 3.0  # a request is parked within milliseconds; this is the wide margin
PAGE = pathlib.Path(__file__).resolve().parents[2] / "src" / "stages" / "08-async" / "chat.html"


@backends
def test_post_then_get_and_every_bad_input(backend):
    with chat_server(backend=backend) as server:
        assert post(server, "hello") == (200, {"id": 0})
        assert post(server, "wörld ☃") == (200, {"id": 1})
        assert get(server, "/chat/get/0") == (200, {"id": 0, "message": "hello"})
        assert get(server, "/chat/get/1") == (200, {"id": 1, "message": "wörld ☃"})
        assert get(server, "/chat/get/7") == (404, {"error": "no message 7 yet; next is 2"})
        for bad in ["-1", "+1", "x", "1x", "0x1", "1234567890", "", "%31"]:
            status, body = get(server, f"/chat/get/{bad}")
            assert status == 400 and body["error"], f"/chat/get/{bad}: {status} {body}"
        bad_bodies = {
            b"{": "malformed", b"": "malformed", b"[1, 2]": "object", b'"text"': "object",
            b"{}": "missing", b'{"message": 5}': "string", b'{"message": null}': "string",
            b'{"message": ""}': "empty", b'{"message": "' + b"x" * 1001 + b'"}': "longer",
            b'{"message": "\xff"}': "UTF-8", b'{"message": "\\ud800"}': "malformed",
        }
        for raw, word in bad_bodies.items():
            status, body = post(server, None, raw=raw)
            assert status == 400 and word in body.get("error", ""), \
                f"expected 400 with '{word}' for {raw[:40]!r}, got {status} {body}"
        assert post(server, "x" * 1000)[0] == 200, "1000 bytes is the most, and allowed"
        assert post(server, "hi", content_type="text/plain")[0] == 415
        assert chat_stats(server)["messages"] == 3, "no bad post may add a message"
        assert server.get("/chat/get/0", method="POST")[0] == 405
        assert server.stop()[0] == 0


@backends
def test_the_page_is_the_file(backend):
    with chat_server(backend=backend) as server:
        conn = server.http()
        conn.request("GET", "/chat/")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert response.getheader("Cache-Control") == "no-store"
        assert response.read() == PAGE.read_bytes()
        conn.close()
        assert server.get("/chat/nothing")[0] == 404


@backends
def test_a_parked_request_is_answered_by_the_next_message(backend):
    with chat_server(backend=backend) as server:
        waiters = [park(server, 0) for _ in range(3)]
        assert wait_until(lambda: chat_stats(server)["parked"] == 3, PARK_S), chat_stats(server)
        assert post(server, "first") == (200, {"id": 0})
        for client in waiters:
            status, fields, body = client.read_response()
            assert (status, json.loads(body)) == (200, {"id": 0, "message": "first"})
            assert fields["cache-control"] == "no-store"
            # Keep-alive: the same connection asks for the next one, and parks.
            client.send(b"GET /chat/get/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: chat_stats(server)["parked"] == 3, PARK_S), chat_stats(server)
        assert post(server, "second") == (200, {"id": 1})
        for client in waiters:
            status, _, body = client.read_response()
            assert (status, json.loads(body)) == (200, {"id": 1, "message": "second"})
            client.close()
        assert server.stop()[0] == 0


@backends
def test_the_poll_timeout_answers_204_and_the_next_poll_works(backend):
    poll_timeout = 0.4
    with chat_server(backend=backend, poll_timeout=poll_timeout) as server:
        client = park(server, 0, timeout=poll_timeout + 3)
        began = time.monotonic()
        status, fields, body = client.read_response()
        waited = time.monotonic() - began
        assert status == 204 and body == b"", (status, fields, body)
        assert "content-length" not in fields and "content-type" not in fields, \
            f"a 204 has no content, so no length or type: {fields}"
        assert poll_timeout * 0.8 < waited < poll_timeout + 3, \
            f"expected the 204 after about {poll_timeout} s, got it after {waited:.2f} s"
        assert chat_stats(server)["parked"] == 0
        client.send(b"GET /chat/get/0 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: chat_stats(server)["parked"] == 1, PARK_S)
        post(server, "after the timeout")
        status, _, body = client.read_response()
        assert (status, json.loads(body)["message"]) == (200, "after the timeout")
        client.close()
        assert server.stop()[0] == 0
