"""National clouds: ROOTMAIL_GRAPH_CLOUD alone sets the Graph endpoint, the Entra ID authority and the token scope, and
the token request really goes to that authority for that scope (checked against a fake Entra ID, per cloud). The
expected pairs are copied here from Microsoft's national-cloud page (concepts/deployments.md in
microsoftgraph/microsoft-graph-docs-contrib), not from RootMail's own table."""
from __future__ import annotations

import pytest

from core.errors import MailSourceUnavailable
from mail.graph.client import credential_from, open_graph_client
from mail.graph.wiring import GraphConfig
from settings import SettingsError, load_settings
from tests.fakes.graph.entra import FakeEntra
from tests.fakes.graph.harness import PLUS_BOX, fake_graph, mail_api  # noqa: F401  (fixture)
from tests.fakes.graph.server import TENANT_ID
from tests.integration.graph.test_client import FAST

CLIENT, SECRET = "22222222-3333-4444-5555-666666666666", "not-a-real-secret"
DOCUMENTED = {  # cloud: (Microsoft Graph root, Entra ID endpoint)
    "public": ("https://graph.microsoft.com", "login.microsoftonline.com"),
    "usgov": ("https://graph.microsoft.us", "login.microsoftonline.us"),
    "usgov-dod": ("https://dod-graph.microsoft.us", "login.microsoftonline.us"),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"),
}


def settings_for(cloud: str, **env: str):
    return load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll", "ROOTMAIL_GRAPH_CLOUD": cloud,
                          "ROOTMAIL_GRAPH_TENANT_ID": TENANT_ID, "ROOTMAIL_GRAPH_CLIENT_ID": CLIENT,
                          "ROOTMAIL_GRAPH_CLIENT_SECRET": SECRET, **env})


async def entra_for(aiohttp_server, cloud: str, token: str) -> FakeEntra:
    graph, authority = DOCUMENTED[cloud]
    entra = FakeEntra(authority, graph, TENANT_ID, CLIENT, SECRET, access_token=token)
    entra.url = str((await aiohttp_server(entra.app())).make_url("")).rstrip("/")
    return entra


async def read_a_mailbox(config: GraphConfig, entra: FakeEntra, fake) -> list[str]:
    credential = credential_from(config.tenant_id, config.client_id, config.client_secret, None, config.authority,
                                 transport=entra.transport())
    async with credential, open_graph_client(credential, config.base_url, 2.0, FAST, config.scope) as client:
        return await mail_api(client, fake).addresses(PLUS_BOX)


@pytest.mark.parametrize("cloud", sorted(DOCUMENTED))
def test_the_cloud_setting_sets_endpoint_authority_and_scope_together(cloud):
    graph, authority = DOCUMENTED[cloud]
    config = GraphConfig.from_settings(settings_for(cloud))

    assert (config.base_url, config.authority, config.scope) == (f"{graph}/v1.0", authority, f"{graph}/.default")


@pytest.mark.parametrize("cloud", sorted(DOCUMENTED))
async def test_the_token_request_goes_to_the_clouds_authority_for_the_clouds_graph(cloud, fake_graph, aiohttp_server):
    graph, authority = DOCUMENTED[cloud]
    entra = await entra_for(aiohttp_server, cloud, fake_graph.token)
    config = GraphConfig.from_settings(settings_for(cloud, ROOTMAIL_GRAPH_BASE_URL=f"{fake_graph.url}/v1.0"))

    addresses = await read_a_mailbox(config, entra, fake_graph)

    assert PLUS_BOX in addresses  # the fake Graph took the token the fake Entra issued
    [asked] = entra.requests
    assert asked.url == f"https://{authority}/{TENANT_ID}/oauth2/v2.0/token"
    assert asked.form["scope"] == f"{graph}/.default" and asked.form["grant_type"] == "client_credentials"
    assert asked.form["client_id"] == CLIENT


def test_a_graph_endpoint_of_another_cloud_is_refused_at_start():
    with pytest.raises(SettingsError, match="ROOTMAIL_GRAPH_CLOUD=public talks to https://graph.microsoft.com"):
        settings_for("public", ROOTMAIL_GRAPH_BASE_URL="https://graph.microsoft.us/v1.0")
    assert settings_for("usgov", ROOTMAIL_GRAPH_BASE_URL="https://graph.microsoft.us/v1.0").graph_scope == \
        "https://graph.microsoft.us/.default"


# --- the fake Entra refuses what Entra refuses (so a mismatched cloud cannot pass a test) -----------------------
async def test_entra_of_one_cloud_does_not_know_a_tenant_of_another(fake_graph, aiohttp_server):
    entra = await entra_for(aiohttp_server, "usgov", fake_graph.token)  # the tenant lives in US Government
    public = GraphConfig.from_settings(settings_for("public", ROOTMAIL_GRAPH_BASE_URL=f"{fake_graph.url}/v1.0"))

    with pytest.raises(MailSourceUnavailable, match="refused RootMail a Graph token .*AADSTS90002"):
        await read_a_mailbox(public, entra, fake_graph)
    assert [r.url.split("/")[2] for r in entra.requests] == ["login.microsoftonline.com"]  # refused: not retried


async def test_entra_refuses_a_token_for_another_clouds_graph(fake_graph, aiohttp_server):
    entra = await entra_for(aiohttp_server, "china", fake_graph.token)
    config = GraphConfig.from_settings(settings_for("china", ROOTMAIL_GRAPH_BASE_URL=f"{fake_graph.url}/v1.0"))
    wrong = GraphConfig(**{**config.__dict__, "scope": "https://graph.microsoft.com/.default"})

    with pytest.raises(MailSourceUnavailable, match="AADSTS500011"):
        await read_a_mailbox(wrong, entra, fake_graph)


@pytest.mark.parametrize("change, code", [({"client_secret": "guessed"}, "AADSTS7000215"),
                                          ({"client_id": "33333333-4444-5555-6666-777777777777"}, "AADSTS700016"),
                                          ({"tenant_id": "55555555-6666-7777-8888-999999999999"}, "AADSTS90002")])
async def test_entra_refuses_a_wrong_secret_client_or_tenant(change, code, fake_graph, aiohttp_server):
    entra = await entra_for(aiohttp_server, "public", fake_graph.token)
    config = GraphConfig.from_settings(settings_for("public", ROOTMAIL_GRAPH_BASE_URL=f"{fake_graph.url}/v1.0"))

    with pytest.raises(MailSourceUnavailable, match=code) as refused:
        await read_a_mailbox(GraphConfig(**{**config.__dict__, **change}), entra, fake_graph)
    assert "guessed" not in str(refused.value) and SECRET not in str(refused.value)


async def test_entra_takes_a_verified_domain_as_tenant_but_rootmail_asks_by_guid(fake_graph, aiohttp_server):
    """Entra takes the tenant "in GUID or domain-name format", so the fake does too; RootMail's settings want the
    GUID anyway, because change notifications carry it (tests/unit/mail/graph/test_settings.py)."""
    entra = await entra_for(aiohttp_server, "public", fake_graph.token)
    config = GraphConfig.from_settings(settings_for("public", ROOTMAIL_GRAPH_BASE_URL=f"{fake_graph.url}/v1.0"))

    assert PLUS_BOX in await read_a_mailbox(GraphConfig(**{**config.__dict__, "tenant_id": entra.domains[0]}),
                                            entra, fake_graph)
    assert entra.requests[-1].url == f"https://login.microsoftonline.com/{entra.domains[0]}/oauth2/v2.0/token"
    with pytest.raises(SettingsError, match="ROOTMAIL_GRAPH_TENANT_ID"):
        settings_for("public", ROOTMAIL_GRAPH_TENANT_ID=entra.domains[0])
