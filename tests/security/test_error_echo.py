"""Refusals that repeated what the client sent, or were not problem+json on the API: an oversized header was answered
(and logged, with a traceback) quoting its first 100 bytes, the start of a bearer token; a body over the size limit
got aiohttp's plain-text 413."""
from __future__ import annotations

import json
import socket

import pytest

from tests.e2e.servers import start_rootmail
from tests.fakes import teams

SECRET_PART = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXN0YXJ0"


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def test_an_oversized_authorization_header_is_refused_as_problem_json_and_never_echoed(tmp_path):
    rootmail = start_rootmail(tmp_path)  # `python app.py`, served as in production
    try:
        answer = _raw_request(rootmail.port, b"GET /api/v1/addresses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Authorization: Bearer " + SECRET_PART.encode() + b"A" * 9000 + b"\r\n\r\n")
    finally:
        rootmail.process.stop()
    head, _, body = answer.partition(b"\r\n\r\n")

    assert head.split(b"\r\n")[0].split(b" ")[1] == b"431"
    assert b"content-type: application/problem+json" in head.lower()
    assert json.loads(body)["status"] == 431
    assert SECRET_PART.encode() not in answer
    assert SECRET_PART not in rootmail.process.log.read_text()


@pytest.mark.parametrize("path", ["/api/v1/addresses", "/api/messages"])
async def test_a_body_over_the_size_limit_gets_413_problem_json(api, path):
    too_big = json.dumps(teams.message("x" * (2 * 1024 * 1024), teams.PERSONAL, api.bot.connector.url)).encode()

    response = await api.client.post(path, data=too_big, headers=api.auth() | {"Content-Type": "application/json"})

    assert response.status == 413 and response.content_type == "application/problem+json"
    assert (await response.json())["status"] == 413
