"""Serving a fake on a random loopback port (pytest-aiohttp's aiohttp_server); its `url` says where."""
from __future__ import annotations


async def serving(aiohttp_server, fake):
    """`fake` is anything with `app()` and a `url` attribute; returns it, listening."""
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("")).rstrip("/")
    return fake
