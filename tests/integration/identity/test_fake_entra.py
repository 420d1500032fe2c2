"""The fake Entra ID refuses what Entra ID refuses and issues tokens shaped as Entra issues them (sources in
tests/fakes/jwks.py): loosening it fails one of these."""
from __future__ import annotations

import aiohttp
import jwt
import pytest
import requests

from tests.fakes.botframework import BOT_FRAMEWORK_TENANT
from tests.fakes.jwks import API_CLIENT_ID, API_URI, PIPELINE_APP, TENANT_DOMAIN, TENANT_ID
from tests.fakes.login import BOT_APP_ID, BOT_SECRET

LOGIN = "https://login.microsoftonline.com"
SCOPE = "https://api.botframework.com/.default"


def token_request(tenant: str, **form: str) -> requests.Response:
    body = {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": BOT_SECRET,
            "scope": SCOPE} | form
    return requests.post(f"{LOGIN}/{tenant}/oauth2/v2.0/token", data=body, timeout=5)


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("segment", [TENANT_ID, TENANT_DOMAIN, TENANT_DOMAIN.upper()])
def test_metadata_names_the_tenant_by_guid_whether_asked_by_guid_or_domain(microsoft, segment):
    v2 = requests.get(f"{LOGIN}/{segment}/v2.0/.well-known/openid-configuration", timeout=5).json()
    v1 = requests.get(f"{LOGIN}/{segment}/.well-known/openid-configuration", timeout=5).json()

    assert v2["issuer"] == f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
    assert v1["issuer"] == f"https://sts.windows.net/{TENANT_ID}/"
    keys = [requests.get(document["jwks_uri"], timeout=5).json()["keys"] for document in (v1, v2)]
    assert keys[0] == keys[1] != []


@pytest.mark.parametrize("url", [f"{LOGIN}/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration",
                                 f"{LOGIN}/00000000-0000-0000-0000-00000000dead/.well-known/openid-configuration",
                                 f"{LOGIN}/nowhere.onmicrosoft.com/discovery/v2.0/keys"])
def test_an_unknown_tenant_has_no_metadata(microsoft, url):
    response = requests.get(url, timeout=5)

    assert response.status_code == 400 and response.json()["error_codes"] == [90002]


@pytest.mark.parametrize("path", ["nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration",
                                  "nowhere.onmicrosoft.com/discovery/v2.0/keys"])
async def test_the_loopback_tenant_refuses_an_unknown_tenant_too(tenant, path):
    async with aiohttp.ClientSession() as http, http.get(f"{tenant.url}/{path}") as response:
        assert response.status == 400 and (await response.json())["error_codes"] == [90002]


def test_a_single_tenant_bot_gets_a_v1_bot_connector_token_from_its_own_tenant(microsoft):
    response = token_request(TENANT_ID)

    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"
    token = claims(response.json()["access_token"])
    assert (token["aud"], token["iss"], token["appid"], token["tid"], token["ver"]) == (
        "https://api.botframework.com", f"https://sts.windows.net/{TENANT_ID}/", BOT_APP_ID, TENANT_ID, "1.0")
    assert "azp" not in token


@pytest.mark.parametrize("segment, form, status, error, code", [
    # a single-tenant app asking the Bot Framework's tenant: the multi-tenant login of MicrosoftAppType=MultiTenant
    ("botframework.com", {}, 400, "unauthorized_client", 700016),
    (BOT_FRAMEWORK_TENANT, {}, 400, "unauthorized_client", 700016),
    (TENANT_ID, {"client_secret": "wrong"}, 400, "invalid_client", 7000215),
    (TENANT_ID, {"client_id": "00000000-0000-0000-0000-0000000000ff"}, 400, "unauthorized_client", 700016),
    (TENANT_ID, {"scope": "https://nothing.example.com/.default"}, 400, "invalid_resource", 500011),
    (TENANT_ID, {"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ("nowhere.onmicrosoft.com", {}, 400, "invalid_request", 90002),
])
def test_the_token_endpoint_refuses_as_entra_does(microsoft, segment, form, status, error, code):
    response = token_request(segment, **form)

    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_codes"] == [code]
    assert response.json()["error_description"].startswith(f"AADSTS{code}:")


def test_a_multi_tenant_bot_gets_its_token_from_the_bot_framework_tenant(microsoft):
    microsoft.tenants[0].apps[BOT_APP_ID].multi_tenant = True

    token = claims(token_request("botframework.com").json()["access_token"])

    assert token["iss"] == f"https://sts.windows.net/{BOT_FRAMEWORK_TENANT}/" and token["appid"] == BOT_APP_ID


def test_api_tokens_follow_the_registrations_accepted_version(tenant):
    tenant.api.access_token_accepted_version = 2
    v2 = claims(tenant.token())
    tenant.api.access_token_accepted_version = None  # a new registration's manifest: v1.0 tokens
    v1 = claims(tenant.token())
    by_client_id = claims(tenant.token(resource=API_CLIENT_ID))

    assert (v2["aud"], v2["iss"], v2["azp"], v2["ver"]) == (
        API_CLIENT_ID, f"https://login.microsoftonline.com/{TENANT_ID}/v2.0", PIPELINE_APP, "2.0")
    assert "appid" not in v2
    assert (v1["aud"], v1["iss"], v1["appid"], v1["ver"]) == (API_URI, f"https://sts.windows.net/{TENANT_ID}/",
                                                              PIPELINE_APP, "1.0")
    assert "azp" not in v1 and by_client_id["aud"] == API_CLIENT_ID
    assert "x5t" in jwt.get_unverified_header(tenant.token()) and "x5t" not in jwt.get_unverified_header(
        tenant.token(version="2.0"))


@pytest.mark.parametrize("accepted", [2, 1, None])
@pytest.mark.parametrize("asked", [API_CLIENT_ID, API_URI])
def test_client_credentials_tokens_for_the_api_follow_its_accepted_version(microsoft, accepted, asked):
    microsoft.tenants[0].api.access_token_accepted_version = accepted
    answer = token_request(TENANT_ID, scope=f"{asked}/.default")
    token = answer.json()["access_token"]
    body, header = claims(token), jwt.get_unverified_header(token)

    assert answer.status_code == 200
    if accepted == 2:  # aud is the client id whatever the client asked for; azp, no appid; no x5t
        assert (body["aud"], body["iss"], body["ver"], body["azp"]) == (
            API_CLIENT_ID, f"https://login.microsoftonline.com/{TENANT_ID}/v2.0", "2.0", BOT_APP_ID)
        assert "appid" not in body and "x5t" not in header
    else:  # aud is what the client asked for; appid, no azp; x5t
        assert (body["aud"], body["iss"], body["ver"], body["appid"]) == (
            asked, f"https://sts.windows.net/{TENANT_ID}/", "1.0", BOT_APP_ID)
        assert "azp" not in body and "x5t" in header
    assert "roles" not in body  # the client holds none of the API's app roles


async def test_the_loopback_token_endpoint_refuses_another_clouds_authority(tenant):
    form = {"grant_type": "client_credentials", "client_id": BOT_APP_ID, "client_secret": BOT_SECRET,
            "scope": f"{API_CLIENT_ID}/.default"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tenant.url}/login.microsoftonline.us/{TENANT_ID}/oauth2/v2.0/token",
                             data=form) as response:
            assert response.status == 400 and (await response.json())["error_codes"] == [90002]


def test_requests_for_anything_else_never_leave_the_machine(microsoft):
    with pytest.raises(requests.ConnectionError):
        requests.get("https://login.live.com/", timeout=5)
