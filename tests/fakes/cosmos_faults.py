"""A TLS proxy in front of the Cosmos DB test server that injects what Azure does under load: 429 with
x-ms-retry-after-ms, requests that never answer (the client times out; nothing written), and requests answered too
late (the client timed out, yet the write went through). Every `every`-th request gets the next fault in `kinds`.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import ssl
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


@dataclass
class CosmosFaults:
    upstream: str  # the test server's endpoint, https://127.0.0.1:PORT/
    ca_file: Path
    key_file: Path
    kinds: tuple[str, ...] = ("429",)  # "429" | "hang" | "late"
    every: int = 0  # 0: no faults
    hang_seconds: float = 3.0  # longer than the store's timeout
    injected: Counter = field(default_factory=Counter)
    endpoint: str = ""
    _count: Any = field(default_factory=itertools.count)
    _cycle: Any = None
    _session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca_file, self.key_file)
        return context

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        kind = self._fault()
        body = await request.read()
        if kind == "429":
            return web.json_response({"code": "429", "message": "Request rate is large (injected)"}, status=429,
                                     headers={"x-ms-retry-after-ms": "30", "x-ms-substatus": "3200"})
        if kind in ("hang", "late"):
            await asyncio.sleep(self.hang_seconds)
            if kind == "hang":
                return web.json_response({"code": "ServiceUnavailable", "message": "too late"}, status=503)
        return await self._forward(request, body)

    def _fault(self) -> str:
        n = next(self._count)
        if not self.every or n % self.every != self.every - 1:
            return ""
        if self._cycle is None:
            self._cycle = itertools.cycle(self.kinds)
        kind = next(self._cycle)
        self.injected[kind] += 1
        return kind

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        if self._session is None:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._session.request(request.method, self.upstream.rstrip("/") + request.path_qs,
                                         headers=headers, data=body) as answer:
            payload = await answer.read()
            out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        if request.path in ("", "/"):  # the account names its own endpoint: point the SDK back at the proxy
            up, me = urlsplit(self.upstream).netloc, urlsplit(self.endpoint).netloc
            payload = json.dumps(json.loads(payload)).replace(up, me).encode()
        return web.Response(status=answer.status, headers=out, body=payload)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
