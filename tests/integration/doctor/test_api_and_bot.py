"""The doctor's checks of the automation API's Entra ID metadata and of the bot's identity, package and endpoint."""
from __future__ import annotations

import json
import socket
import zipfile

import pytest

from doctor.report import FAILED, PASSED, SKIPPED
from tests.fakes.jwks import FakeTenant
from tests.fakes.serving import serving

APP_ID = "8a5e0c1d-2b3f-4c5d-8e9f-0a1b2c3d4e5f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def entra(aiohttp_server):
    return await serving(aiohttp_server, FakeTenant())


def api_env(tenant: FakeTenant, metadata_url: str | None = None) -> dict[str, str]:
    return {"ROOTMAIL_API_AUDIENCE": "9d3f1e2a-1111-4222-8333-444455556666", "ROOTMAIL_API_TENANT_ID": tenant.tenant_id,
            "ROOTMAIL_API_METADATA_URL": metadata_url or tenant.metadata_url}


async def test_reachable_metadata_and_keys_pass(diagnose, entra):
    found = await diagnose(("api",), **api_env(entra))
    assert [f.status for f in found.of("api")] == [PASSED] * 4, found.text()  # v2.0 and v1.0: metadata, keys


async def test_unreachable_metadata_fails_with_the_settings_to_check(diagnose, entra):
    dead = f"http://127.0.0.1:{closed_port()}/{entra.tenant_id}/v2.0/.well-known/openid-configuration"
    found = await diagnose(("api",), **api_env(entra, dead))
    assert [f.status for f in found.of("api")] == [FAILED, FAILED]
    assert all("ClientConnectorError" in f.detail for f in found.of("api"))


async def test_metadata_of_another_tenant_fails(diagnose, entra, aiohttp_server):
    other = await serving(aiohttp_server, FakeTenant(tenant_id="0f0e0d0c-0b0a-4909-8807-060504030201"))
    found = await diagnose(("api",), **(api_env(entra) | {"ROOTMAIL_API_METADATA_URL": other.metadata_url}))
    finding = found.one("api", "the v2.0 metadata is this tenant's")
    assert finding.status == FAILED and "ROOTMAIL_API_TENANT_ID" in finding.fix


class RefusingCredentials:
    """What MSAL raises for a wrong client secret, with Entra's error code (entra-docs reference-error-codes.md)."""

    def get_access_token(self) -> str:
        raise RuntimeError("invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                           "sent in the request is the client secret value, not the client secret ID.")


class IssuingCredentials:
    def get_access_token(self) -> str:
        return "eyJ0eXAiOiJKV1QifQ.e30.c2ln"


BOT = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "s3cret", "MicrosoftAppType": "SingleTenant",
       "MicrosoftAppTenantId": TENANT, "ROOTMAIL_HOST": "0.0.0.0", "ROOTMAIL_ALLOWED_TENANTS": TENANT}


async def test_a_wrong_client_secret_fails_with_its_fix_and_the_secret_is_never_shown(diagnose, tmp_path):
    found = await diagnose(("bot",), {"bot_credential": RefusingCredentials(), "package": tmp_path / "none.zip"}, **BOT)
    token = found.one("bot", "a Bot Framework token")
    assert token.status == FAILED and "client secret" in token.fix and "s3cret" not in found.text()
    assert found.one("bot", "the Teams package").status == SKIPPED


async def test_a_package_built_for_another_app_fails_with_how_to_rebuild_it(diagnose, tmp_path):
    package = tmp_path / "rootmail-teams.zip"
    with zipfile.ZipFile(package, "w") as out:
        out.writestr("manifest.json", json.dumps({"bots": [{"botId": "11111111-2222-4333-8444-555555555555"}]}))
    found = await diagnose(("bot",), {"bot_credential": IssuingCredentials(), "package": package}, **BOT)
    assert found.one("bot", "a Bot Framework token").status == PASSED
    finding = found.one("bot", "the Teams package")
    assert finding.status == FAILED and f"MicrosoftAppId={APP_ID} make package" in finding.fix


async def test_a_plain_http_public_url_fails(diagnose, tmp_path):
    found = await diagnose(("bot",), {"bot_credential": IssuingCredentials(), "package": tmp_path / "none.zip"},
                           ROOTMAIL_GRAPH_PUBLIC_URL="http://127.0.0.1:8080", **BOT)
    finding = found.one("bot", "the messaging endpoint")
    assert finding.status == FAILED and "https" in finding.fix


async def test_without_an_app_id_the_bot_checks_are_skipped(diagnose):
    found = await diagnose(("bot",))
    assert [f.status for f in found.of("bot")] == [SKIPPED]


def real_bot(microsoft, secret: str) -> dict[str, str]:
    from tests.fakes.login import BOT_APP_ID
    return {"MicrosoftAppId": BOT_APP_ID, "MicrosoftAppPassword": secret, "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": microsoft.tenants[0].tenant_id}


async def test_the_bot_token_comes_from_entra_through_botbuilders_own_credentials(diagnose, microsoft, tmp_path):
    from tests.fakes.login import BOT_SECRET
    found = await diagnose(("bot",), {"package": tmp_path / "none.zip"}, **real_bot(microsoft, BOT_SECRET))
    assert found.one("bot", "a Bot Framework token").status == PASSED, found.text()
    assert any(call.startswith("POST") and microsoft.tenants[0].tenant_id in call for call in microsoft.calls)


async def test_a_wrong_secret_is_refused_by_entra_and_the_fix_names_the_setting(diagnose, microsoft, tmp_path):
    found = await diagnose(("bot",), {"package": tmp_path / "none.zip"}, **real_bot(microsoft, "not-the-secret"))
    token = found.one("bot", "a Bot Framework token")
    assert token.status == FAILED and "AADSTS7000215" in token.detail and "MicrosoftAppPassword" in token.fix
    assert "not-the-secret" not in found.text()
