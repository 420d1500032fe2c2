"""The doctor's checks of the automation API's Entra ID metadata and of the bot's identity, package and endpoint."""
from __future__ import annotations

import json
import socket
import zipfile

import pytest

from doctor.report import FAILED, PASSED, SKIPPED, as_text
from doctor.report import as_json as as_json_text
from tests.fakes.graph.entra import ToFakeEntra
from tests.fakes.jwks import ClientApp, FakeTenant
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
    assert [f.status for f in found.of("api")] == [PASSED] * 4 + [SKIPPED], found.text()  # v2.0, v1.0: metadata, keys


async def test_unreachable_metadata_fails_with_the_settings_to_check(diagnose, entra):
    dead = f"http://127.0.0.1:{closed_port()}/{entra.tenant_id}/v2.0/.well-known/openid-configuration"
    found = await diagnose(("api",), **api_env(entra, dead))
    assert [f.status for f in found.of("api")] == [FAILED, FAILED, SKIPPED]
    assert all("ClientConnectorError" in f.detail for f in found.of("api")[:2])


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


# -- the audience: a client-credentials token Entra issues for the API, judged by RootMail's own validator --

GRAPH_APP, GRAPH_SECRET = "3c9d7e1f-0000-4000-8000-00000000c001", "graph-secret-for-tests-only"


def audience_env(tenant: FakeTenant, audience: str | None = None, **more: str) -> dict[str, str]:
    """The API on, and RootMail's Graph app registration (in the same tenant) as the credential the doctor uses."""
    tenant.apps[GRAPH_APP] = ClientApp(GRAPH_SECRET)
    return api_env(tenant) | {"ROOTMAIL_API_AUDIENCE": audience or tenant.api.client_id,
                              "ROOTMAIL_GRAPH_TENANT_ID": tenant.tenant_id, "ROOTMAIL_GRAPH_CLIENT_ID": GRAPH_APP,
                              "ROOTMAIL_GRAPH_CLIENT_SECRET": GRAPH_SECRET} | more


async def audience_check(diagnose, tenant: FakeTenant, env: dict[str, str]):
    found = await diagnose(("api",), {"entra_transport": ToFakeEntra(tenant)}, **env)
    return found, [f for f in found.of("api") if f.check.startswith("a token Entra ID issues")]


async def test_a_v2_registration_passes_naming_the_version_and_audience(diagnose, entra):
    found, [finding] = await audience_check(diagnose, entra, audience_env(entra))
    assert finding.status == PASSED, found.text()
    assert finding.detail == f"v2.0 token, aud {entra.api.client_id}"
    assert any(path.endswith("/oauth2/v2.0/token") for path in entra.requests)


async def test_a_v1_registration_passes_for_its_client_id_and_says_what_pipelines_asking_by_uri_need(diagnose, entra):
    entra.api.access_token_accepted_version = None  # a new registration's manifest: v1.0 tokens
    found, [finding] = await audience_check(diagnose, entra, audience_env(entra))
    assert finding.status == PASSED, found.text()  # aud is the client id the doctor asked for, as the validator wants
    assert finding.detail.startswith(f"v1.0 token, aud {entra.api.client_id}")
    assert "Application ID URI" in finding.detail and "accessTokenAcceptedVersion: 2" in finding.detail


async def test_a_v1_registration_passes_by_uri_too_when_it_is_configured(diagnose, entra):
    entra.api.access_token_accepted_version = 1
    env = audience_env(entra, f"{entra.api.client_id},{entra.api.app_id_uri}")
    found, findings = await audience_check(diagnose, entra, env)
    assert [f.status for f in findings] == [PASSED, PASSED], found.text()
    assert findings[1].detail == f"v1.0 token, aud {entra.api.app_id_uri}"


async def test_a_wrong_client_id_next_to_the_uri_fails_with_the_audience_to_set(diagnose, entra):
    wrong = "11111111-2222-4333-8444-555555555555"  # not an app in the tenant; the URI is the API's
    found, findings = await audience_check(diagnose, entra, audience_env(entra, f"{wrong},{entra.api.app_id_uri}"))
    by_guid, by_uri = findings
    assert by_guid.status == FAILED and "AADSTS500011" in by_guid.detail and "service principal" in by_guid.fix
    assert by_uri.status == FAILED, found.text()
    assert f"ver 2.0, aud {entra.api.client_id}, iss {entra.issuer}" in by_uri.detail
    assert by_uri.fix.startswith(f"set ROOTMAIL_API_AUDIENCE={entra.api.client_id},{entra.api.app_id_uri} ")


async def test_an_api_not_in_the_tenant_fails_with_how_to_expose_it(diagnose, entra):
    missing = "66666666-7777-4888-8999-aaaaaaaaaaaa"
    found, [finding] = await audience_check(diagnose, entra, audience_env(entra, missing))
    assert finding.status == FAILED and "AADSTS500011" in finding.detail, found.text()
    assert "az ad sp create --id" in finding.fix and "Application (client) ID" in finding.fix


async def test_tokens_from_another_tenant_than_configured_fail_with_the_tenant_to_set(diagnose, entra, aiohttp_server):
    other = await serving(aiohttp_server, FakeTenant(tenant_id="0f0e0d0c-0b0a-4909-8807-060504030201"))
    env = audience_env(entra, ROOTMAIL_API_TENANT_ID=other.tenant_id, ROOTMAIL_API_METADATA_URL=other.metadata_url)
    found, [finding] = await audience_check(diagnose, entra, env)
    assert finding.status == FAILED, found.text()
    assert finding.fix == f"the API's tokens come from tenant {entra.tenant_id}: set ROOTMAIL_API_TENANT_ID={entra.tenant_id}"


@pytest.mark.parametrize("graph, setting", [({}, "ROOTMAIL_GRAPH_CLIENT_ID"),
                                            ({"ROOTMAIL_GRAPH_TENANT_ID": TENANT, "ROOTMAIL_GRAPH_CLIENT_ID": GRAPH_APP},
                                             "ROOTMAIL_GRAPH_CLIENT_SECRET")])
async def test_without_an_app_credential_the_audience_check_is_skipped_with_why(diagnose, entra, graph, setting):
    found = await diagnose(("api",), **api_env(entra), **graph)
    finding = found.one("api", "Entra ID issues tokens")
    assert finding.status == SKIPPED and setting in finding.detail
    assert entra.requests and not any("token" in path for path in entra.requests)  # nothing asked of Entra


@pytest.mark.parametrize("as_json", [False, True])
async def test_the_token_never_appears_in_the_doctors_output(diagnose, entra, as_json):
    issued: list[str] = []
    original = entra.token_response

    def recording(*args):
        status, body = original(*args)
        issued.append(body.get("access_token", ""))
        return status, body
    entra.token_response = recording
    found, [finding] = await audience_check(diagnose, entra, audience_env(entra))
    assert finding.status == PASSED and issued[0]
    text = as_json_text(found) if as_json else as_text(found)
    assert issued[0] not in text and issued[0].split(".")[1] not in text and GRAPH_SECRET not in text
