"""The HTTP server under the app: aiohttp's, except for requests it cannot even parse.

A header longer than 8,190 bytes, too many headers or a garbled request line never reach a handler or middleware:
aiohttp answers them itself, as text that quotes the first 100 bytes of the offending line (the start of a bearer
token, for an oversized Authorization header), and logs the same with a traceback. Here such a request is answered
with problem+json (RFC 9457; 431 for a line too long, RFC 6585) that repeats nothing of the request, and logged in
one line without it. aiohttp has no public hook for this answer, so the runner swaps in a protocol class that
overrides RequestHandler.handle_error for these parse errors only.
"""
from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler

logger = logging.getLogger(__name__)


class _Protocol(RequestHandler):
    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        logger.warning("refused a request that is not valid HTTP",
                       extra={"reason": type(exc).__name__, "remote": request.remote})
        if request.writer.output_size > 0:
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        too_long = isinstance(exc, LineTooLong)
        status, title = (431, "Request Header Fields Too Large") if too_long else (400, "Bad Request")
        detail = ("A header or the request line is longer than RootMail accepts (8190 bytes)." if too_long
                  else "The request is not valid HTTP.")
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        response = web.Response(status=status, body=json.dumps(body).encode(),
                                content_type="application/problem+json")
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _Protocol(self, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """web.AppRunner whose connections answer unparsable requests as above."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server  # everything else as aiohttp built it for this app
        return server


def serve(app: web.Application, host: str, port: int) -> None:
    """What web.run_app does for RootMail, on the GuardedRunner: serve until SIGINT or SIGTERM, then clean up."""
    async def run() -> None:
        runner = GuardedRunner(app, handle_signals=True)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(run())
    except (web.GracefulExit, KeyboardInterrupt):
        pass
