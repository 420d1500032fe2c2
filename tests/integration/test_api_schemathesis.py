"""schemathesis against the live app: every operation of /api/v1/openapi.json, generated requests, checked
responses (no 5xx; status, content type, headers and body as documented; no access without a token)."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from api.openapi import document
from app import STORE, create_app
from core.model import Owner
from tests.fakes.jwks import AUDIENCE, FakeTenant

MAX_EXAMPLES = 50  # per operation: the whole run stays well under a minute
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance, checks.ignored_auth,
          checks.unsupported_method]
KNOWN = Owner("19:abc@thread.tacv2", "AWS Accounts", "19:team@thread.tacv2", "Cloud Platform", "tenant-1",
              {"serviceUrl": "https://smba.example/", "conversation": {"id": "19:abc@thread.tacv2"}})


@dataclass
class Live:
    base_url: str
    token: str


class LiveApp:
    """RootMail and a fake tenant served from a thread of their own, so synchronous schemathesis can call them."""

    def __init__(self, make_settings):
        self._make_settings, self._loop = make_settings, asyncio.new_event_loop()
        self._ready, self._runners, self.live = threading.Event(), [], None

    def __enter__(self) -> Live:
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self.live = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self.live

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _start(self) -> Live:
        tenant = FakeTenant()
        tenant.url = await self._serve(tenant.app())
        app = create_app(self._make_settings(ROOTMAIL_API_AUDIENCE=AUDIENCE, ROOTMAIL_API_TENANT_ID=tenant.tenant_id,
                                             ROOTMAIL_API_METADATA_URL=tenant.metadata_url))
        base_url = await self._serve(app)
        await app[STORE].save_conversation(KNOWN)
        return Live(base_url, tenant.token(roles=("RootMail.ReadWrite",)))

    async def _stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from settings import load_settings

    folder = tmp_path_factory.mktemp("schemathesis")

    def make_settings(**env):
        return load_settings({"ROOTMAIL_STORE": f"sqlite:///{folder / 'rootmail.db'}", "ROOTMAIL_MAIL_SOURCE": "none",
                              "ROOTMAIL_INSTANCE_ID": "schemathesis"} | env)

    with LiveApp(make_settings) as running:
        seed = requests.post(f"{running.base_url}/api/v1/addresses", timeout=10, headers={
            "Authorization": f"Bearer {running.token}"}, json={
            "account_name": "Seeded", "environment": "production", "purpose": "schemathesis",
            "owner_conversation_id": KNOWN.conversation_id, "account_id": "123456789012"})
        assert seed.status_code == 201, seed.text
        yield running


def operations(base_url: str) -> list:
    schema = schemathesis.openapi.from_dict(document())
    schema.config.update(base_url=base_url)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(live, mode):
    failures, calls = {}, {}
    for operation in operations(live.base_url):
        label = f"{operation.method.upper()} {operation.path}"
        calls[label] = 0

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case):
            calls[label] += 1
            case.call_and_validate(headers={"Authorization": f"Bearer {live.token}"}, checks=CHECKS, timeout=10)

        try:
            call()
        except Unsatisfiable:  # nothing to break in an operation without inputs (negative mode)
            calls.pop(label)
        except Exception as failure:  # hypothesis re-raises the smallest failing case's error
            failures[label] = str(failure)[:2000]
    assert not failures, failures
    assert all(calls.values()), calls
    assert len(calls) >= (8 if mode is GenerationMode.POSITIVE else 7)  # every operation with inputs was exercised
    print(f"schemathesis {mode.value}: {sum(calls.values())} requests over {len(calls)} operations")


def test_the_document_and_the_live_app_agree_on_what_exists(live):
    served = requests.get(f"{live.base_url}/api/v1/openapi.json", timeout=10).json()

    assert served == document()
