"""The doctor's Graph checks against the strict fake Graph: a token, each mailbox resolved and readable, a probe
subscription Graph validates at the public URL and that is deleted again, the groups; every refusal with its fix.
The doctor creates nothing but its probe subscription: no folder, no lasting subscription."""
from __future__ import annotations


import pytest
from aiohttp import web

from doctor.report import FAILED, PASSED
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH, graph_endpoint
from tests.fakes.graph.harness import ALIAS_BOX, ALIAS_BOX_UPN, PLUS_BOX, fake_graph, write_pool  # noqa: F401
from tests.fakes.graph.server import StaticToken

GROUP = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"


@pytest.fixture
async def public(aiohttp_server):
    """What answers at ROOTMAIL_GRAPH_PUBLIC_URL: RootMail's Graph endpoints (only the validation echo is needed)."""
    app = web.Application()
    accept = graph_endpoint(lambda request: _refuse)
    app.router.add_post(NOTIFICATIONS_PATH, accept)
    app.router.add_post(LIFECYCLE_PATH, accept)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def _refuse(items) -> int:
    return 0


def env(graph, tmp_path, public: str, mode: str = "graph", **more: str) -> dict[str, str]:
    return {"ROOTMAIL_MAIL_SOURCE": mode, "ROOTMAIL_GRAPH_BASE_URL": f"{graph.url}/v1.0",
            "ROOTMAIL_GRAPH_PUBLIC_URL": public, "ROOTMAIL_POOL_FILE": str(write_pool(tmp_path / "pool.json")),
            "ROOTMAIL_GRAPH_TIMEOUT": "2", **more}


async def test_a_working_graph_passes_every_check_and_leaves_nothing_behind(diagnose, fake_graph, tmp_path, public):
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)},
                           **env(fake_graph, tmp_path, public))
    assert {f.status for f in found.of("graph")} == {PASSED}, found.text()
    assert f"UPN {ALIAS_BOX_UPN}" in found.one("graph", f"{ALIAS_BOX} resolves").detail
    assert "created and deleted" in found.one("graph", "Graph can validate").detail
    assert fake_graph.subscriptions == {}  # the probe subscription is gone
    assert not [r for r in fake_graph.requests if r.method == "POST" and "mailFolders" in r.path]  # no folder made


async def test_a_mailbox_graph_cannot_find_fails_with_graph_id_as_fix(diagnose, fake_graph, tmp_path, public):
    (tmp_path / "nobody.json").write_text('{"mailboxes": [{"address": "nobody@example.com", "strategy": "plus"}]}')
    settings = env(fake_graph, tmp_path, public) | {"ROOTMAIL_POOL_FILE": str(tmp_path / "nobody.json")}
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)}, **settings)
    finding = found.one("graph", "nobody@example.com resolves")
    assert finding.status == FAILED and "graph_id" in finding.fix


@pytest.mark.parametrize("path, check, fix", [
    (r"/users/[^/]+/mailFolders", f"{PLUS_BOX}: Inbox readable", "Application Mail.ReadWrite"),
    (r"/users/[^/]+$", f"{PLUS_BOX} resolves", "User.Read.All"),
])
async def test_each_missing_permission_fails_naming_it(diagnose, fake_graph, tmp_path, public, path, check, fix):
    fake_graph.denied[path] = "not granted"
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)},
                           **env(fake_graph, tmp_path, public, "graph-poll"))
    finding = found.one("graph", check)
    assert finding.status == FAILED and fix in finding.fix, found.text()


async def test_a_public_url_graph_cannot_reach_fails_and_no_subscription_is_left(diagnose, fake_graph, tmp_path):
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)},
                           **env(fake_graph, tmp_path, "http://127.0.0.1:9"))
    finding = found.one("graph", "Graph can validate")
    assert finding.status == FAILED and "ROOTMAIL_GRAPH_PUBLIC_URL" in finding.fix
    assert fake_graph.subscriptions == {}


async def test_the_groups_are_read_and_an_unreadable_one_fails(diagnose, fake_graph, tmp_path, public):
    fake_graph.groups[GROUP] = set()
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)},
                           **env(fake_graph, tmp_path, public, "graph-poll", ROOTMAIL_ADMIN_GROUP=GROUP))
    assert found.one("graph", f"group {GROUP}").status == PASSED
    fake_graph.denied["/groups/"] = "not granted"
    found = await diagnose(("graph",), {"graph_credential": StaticToken(fake_graph.token)},
                           **env(fake_graph, tmp_path, public, "graph-poll", ROOTMAIL_ADMIN_GROUP=GROUP))
    finding = found.one("graph", f"group {GROUP}")
    assert finding.status == FAILED and "GroupMember.Read.All" in finding.fix


async def test_with_another_mail_source_graph_is_skipped(diagnose):
    found = await diagnose(("graph",))
    assert [f.check for f in found.of("graph")] == ["Microsoft Graph"]
