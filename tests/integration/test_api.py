"""The automation API over HTTP, authenticated by a local Entra tenant; owners are conversations the bot met."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient

from app import STORE, create_app
from tests.fakes import teams
from tests.fakes.jwks import AUDIENCE, PIPELINE_APP, PIPELINE_OID, FakeTenant
from tests.integration.conftest import Harness

NEW = {"account_name": "Payments Prod", "environment": "production", "purpose": "Card processing",
       "owner_conversation_id": teams.PLATFORM.conversation_id}
PROBLEM = "application/problem+json"


@dataclass
class Api:
    client: TestClient
    tenant: FakeTenant
    bot: Harness

    @property
    def store(self):
        return self.client.app[STORE]

    def auth(self, roles=("RootMail.ReadWrite",), **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.token(roles=roles, **claims)}"}

    async def call(self, method: str, path: str, *, roles=("RootMail.ReadWrite",), headers=None, **kwargs):
        response = await self.client.request(method, path, headers=self.auth(roles) | (headers or {}), **kwargs)
        body = await response.json(content_type=None)
        return response, body


@pytest.fixture
async def api(aiohttp_client, connector, make_settings, tenant):
    settings = make_settings(ROOTMAIL_API_AUDIENCE=f"{AUDIENCE},00000000-1111-2222-3333-444444444444",
                             ROOTMAIL_API_TENANT_ID=tenant.tenant_id, ROOTMAIL_API_METADATA_URL=tenant.metadata_url,
                             ROOTMAIL_ADMIN_CONVERSATION=teams.PERSONAL.conversation_id)
    client = await aiohttp_client(create_app(settings))
    harness = Api(client, tenant, Harness(client, connector))
    await harness.bot.say("help", teams.PLATFORM)  # RootMail has been @mentioned in the Platform channel
    return harness


async def test_a_pipeline_allocates_an_address_owned_by_a_known_channel(api):
    response, body = await api.call("POST", "/api/v1/addresses", json=NEW | {"tags": {"cost-center": "4711"}},
                                    headers={"Idempotency-Key": "aft-req-0001"})

    assert response.status == 201, body
    assert response.headers["Location"] == body["links"]["self"] == f"/api/v1/addresses/{body['address']}"
    record = await api.store.get_address(body["address"])
    assert record.owner.conversation_id == teams.PLATFORM.conversation_id
    assert record.owner.reference["serviceUrl"] == api.bot.connector.url  # proactive posts can reach it
    assert record.requester.id == f"app:{PIPELINE_APP}" and record.requester_key == PIPELINE_OID
    assert body["tags"] == record.tags == {"cost-center": "4711"}
    assert (body["state"], body["account_id"], body["owner"]["team_name"]) == ("active", None, "Cloud Platform")


async def test_a_retried_step_with_the_same_idempotency_key_gets_the_same_address(api):
    first, body = await api.call("POST", "/api/v1/addresses", json=NEW, headers={"Idempotency-Key": "step-7"})
    retries = await asyncio.gather(*(api.call("POST", "/api/v1/addresses", json=NEW,
                                              headers={"Idempotency-Key": "step-7"}) for _ in range(5)))

    assert first.status == 201
    assert {again["address"] for _, again in retries} == {body["address"]}
    assert all(r.status == 200 and r.headers["Idempotent-Replayed"] == "true" for r, _ in retries)
    assert await api.store.count_addresses() == 1


async def test_an_idempotency_key_reused_for_another_request_is_refused(api):
    _, body = await api.call("POST", "/api/v1/addresses", json=NEW, headers={"Idempotency-Key": "step-8"})

    response, problem = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_name": "Other"},
                                       headers={"Idempotency-Key": "step-8"})

    assert response.status == 422 and response.content_type == PROBLEM
    assert problem["type"] == "/api/v1/problems/idempotency-key-reused" and problem["address"] == body["address"]
    assert await api.store.count_addresses() == 1


async def test_idempotency_keys_belong_to_their_caller(api):
    _, mine = await api.call("POST", "/api/v1/addresses", json=NEW, headers={"Idempotency-Key": "k-1"})
    other = api.auth(oid="other-pipeline-oid", azp="other-app")
    response = await api.client.post("/api/v1/addresses", json=NEW, headers=other | {"Idempotency-Key": "k-1"})

    assert response.status == 201
    assert (await response.json())["address"] != mine["address"]


async def test_an_owner_rootmail_never_met_is_refused_with_what_to_do(api):
    response, problem = await api.call("POST", "/api/v1/addresses",
                                       json=NEW | {"owner_conversation_id": teams.PAYMENTS.conversation_id})

    assert response.status == 422 and response.content_type == PROBLEM
    assert problem["type"] == "/api/v1/problems/unknown-conversation"
    assert "Install RootMail in that team" in problem["detail"] and "@mention" in problem["detail"]
    assert await api.store.count_addresses() == 0


async def test_invalid_fields_are_each_named(api):
    response, problem = await api.call("POST", "/api/v1/addresses", json={
        "account_name": "", "environment": "moon", "purpose": "x", "owner_conversation_id": "19:x",
        "account_id": "12345", "colour": "blue"})
    assert response.status == 422 and problem["errors"] == {"colour": "Unknown field."}

    response, problem = await api.call("POST", "/api/v1/addresses", json=NEW | {
        "account_name": "", "environment": "moon", "account_id": "12345", "tags": {"bad;key": "v"}})
    assert response.status == 422
    assert set(problem["errors"]) == {"account_name", "environment", "account_id"}  # tags are checked next

    response, problem = await api.call("POST", "/api/v1/addresses", json=NEW | {"tags": {"bad;key": "v"}})
    assert response.status == 422 and set(problem["errors"]) == {"tags.bad;key"}


@pytest.mark.parametrize("kwargs, status, slug", [
    ({"data": "account_name=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415,
     "unsupported-media-type"),
    ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 422, "invalid-request"),
    ({"json": ["a", "list"]}, 422, "invalid-request"),
    ({"json": NEW, "headers": {"Idempotency-Key": "bad key with spaces"}}, 422, "invalid-request"),
])
async def test_bodies_that_are_not_a_json_object_are_problems(api, kwargs, status, slug):
    headers = kwargs.pop("headers", {})
    response, problem = await api.call("POST", "/api/v1/addresses", headers=headers, **kwargs)

    assert response.status == status and problem["type"] == f"/api/v1/problems/{slug}"


async def test_find_by_address_account_id_and_requester(api):
    _, first = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_id": "1111-2222-3333"})
    _, second = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_name": "Second"})
    await api.bot.say("new", teams.PLATFORM)  # a person's form does not count as the pipeline's

    response, found = await api.call("GET", f"/api/v1/addresses/{first['address'].upper()}", roles=("RootMail.Read",))
    assert response.status == 200 and found["address"] == first["address"]
    _, by_account = await api.call("GET", "/api/v1/accounts/111122223333", roles=("RootMail.Read",))
    assert by_account["address"] == first["address"]
    _, page = await api.call("GET", f"/api/v1/addresses?requester={PIPELINE_OID}&limit=1")
    _, rest = await api.call("GET", f"/api/v1/addresses?requester={PIPELINE_OID}&continuation={page['continuation']}")
    assert [a["address"] for a in page["items"] + rest["items"]] == [first["address"], second["address"]]
    assert rest["continuation"] is None
    response, problem = await api.call("GET", "/api/v1/accounts/999999999999")
    assert response.status == 404 and "999999999999" in problem["detail"]
    response, problem = await api.call("GET", "/api/v1/addresses/nobody@example.com")
    assert response.status == 404 and problem["type"] == "/api/v1/problems/not-found"


async def test_link_transfer_and_tag_in_one_patch(api):
    await api.bot.say("help", teams.PAYMENTS)
    _, body = await api.call("POST", "/api/v1/addresses", json=NEW | {"tags": {"team": "platform", "old": "x"}})

    response, patched = await api.call(
        "PATCH", body["links"]["self"], roles=("RootMail.ReadWrite", "RootMail.Transfer"),
        headers={"Content-Type": "application/merge-patch+json"},
        data=f'{{"account_id": "444455556666", "owner_conversation_id": "{teams.PAYMENTS.conversation_id}", '
             '"tags": {"team": "payments", "old": null}}')

    assert response.status == 200, patched
    assert (patched["account_id"], patched["owner"]["conversation_id"], patched["tags"]) == (
        "444455556666", teams.PAYMENTS.conversation_id, {"team": "payments"})
    audit = [e.action for e in await api.store.audit_for(body["address"], 10)]
    assert {"allocate", "link", "transfer", "tag"} <= set(audit)


async def test_a_linked_address_is_not_moved_and_an_account_has_one_address(api):
    _, one = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_id": "111122223333"})
    _, two = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_name": "Two"})

    response, problem = await api.call("PATCH", one["links"]["self"], json={"account_id": "444455556666"})
    assert response.status == 409 and problem["type"] == "/api/v1/problems/already-linked"
    response, problem = await api.call("PATCH", two["links"]["self"], json={"account_id": "111122223333"})
    assert response.status == 409 and problem["type"] == "/api/v1/problems/account-id-taken"
    response, problem = await api.call("PATCH", two["links"]["self"], json={"owner_conversation_id": "19:nowhere"})
    assert response.status == 422 and problem["type"] == "/api/v1/problems/unknown-conversation"


async def test_retire_keeps_the_address_and_never_hands_it_out_again(api):
    _, body = await api.call("POST", "/api/v1/addresses", json=NEW)

    response, retired = await api.call("POST", f"{body['links']['self']}/retire")
    _, again = await api.call("POST", f"{body['links']['self']}/retire")
    _, fresh = await api.call("POST", "/api/v1/addresses", json=NEW)

    assert response.status == 200 and retired["state"] == again["state"] == "retired"
    assert fresh["address"] != body["address"]


@pytest.mark.parametrize("make, reason", [
    (lambda t: None, "Bearer"),
    (lambda t: t.token(expires_in=-600), "expired"),
    (lambda t: t.token(audience="api://another-app"), "another audience"),
    (lambda t: t.token(issuer="https://sts.windows.net/evil/"), "another tenant or authority"),
    (lambda t: t.unsigned_token(), "not accepted"),
])
async def test_unacceptable_tokens_get_401_with_the_reason(api, make, reason):
    token = make(api.tenant)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.get("/api/v1/addresses", headers=headers)
    problem = await response.json(content_type=None)

    assert response.status == 401 and response.content_type == PROBLEM
    assert reason in problem["detail"] and problem["type"] == "/api/v1/problems/invalid-token"
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


async def test_the_second_accepted_audience_works(api):
    response, _ = await api.call("GET", "/api/v1/addresses", headers=api.auth(
        audience="00000000-1111-2222-3333-444444444444"))

    assert response.status == 200


async def test_reading_needs_a_role_and_writing_needs_read_write(api):
    response, problem = await api.call("POST", "/api/v1/addresses", roles=("RootMail.Read",), json=NEW)
    assert response.status == 403 and problem["type"] == "/api/v1/problems/missing-role"
    assert "RootMail.ReadWrite" in problem["detail"] and await api.store.count_addresses() == 0

    response, problem = await api.call("GET", "/api/v1/addresses", roles=())
    assert response.status == 403 and "holds: none" in problem["detail"]
    response, _ = await api.call("GET", "/api/v1/addresses", roles=("RootMail.Read",))
    assert response.status == 200


async def test_unknown_paths_and_methods_are_problems_too(api):
    response, problem = await api.call("GET", "/api/v1/nothing-here")
    assert response.status == 404 and problem["type"] == "/api/v1/problems/not-found"
    response, problem = await api.call("DELETE", "/api/v1/addresses")
    assert response.status == 405 and "POST" in response.headers["Allow"]
    response, described = await api.call("GET", problem["type"])
    assert response.status == 200 and described["status"] == 405


async def test_the_openapi_document_is_public_and_describes_every_route(api):
    response = await api.client.get("/api/v1/openapi.json")
    document = await response.json()

    assert response.status == 200 and document["openapi"].startswith("3.1")
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item
                  if method != "parameters"}
    assert {("POST", "/api/v1/addresses"), ("GET", "/api/v1/addresses"), ("GET", "/api/v1/addresses/{address}"),
            ("PATCH", "/api/v1/addresses/{address}"), ("POST", "/api/v1/addresses/{address}/retire"),
            ("GET", "/api/v1/accounts/{account_id}")} <= operations


async def test_without_an_audience_the_api_is_off(aiohttp_client, make_settings):
    client = await aiohttp_client(create_app(make_settings()))
    response = await client.get("/api/v1/addresses")
    problem = await response.json(content_type=None)

    assert response.status == 503 and "ROOTMAIL_API_AUDIENCE" in problem["detail"]


async def test_a_change_made_for_an_old_version_is_refused_and_changes_nothing(api):
    created, body = await api.call("POST", "/api/v1/addresses", json=NEW | {"tags": {"team": "platform"}})
    url, first = body["links"]["self"], created.headers["ETag"]
    read, _ = await api.call("GET", url)
    assert read.headers["ETag"] == first

    linked, _ = await api.call("PATCH", url, json={"account_id": "111122223333"}, headers={"If-Match": first})
    assert linked.status == 200 and linked.headers["ETag"] != first
    stale, problem = await api.call("PATCH", url, json={"tags": {"team": "payments"}}, headers={"If-Match": first})
    weak, _ = await api.call("POST", f"{url}/retire", headers={"If-Match": f"W/{linked.headers['ETag']}"})

    assert (stale.status, problem["type"]) == (412, "/api/v1/problems/precondition-failed")
    assert weak.status == 412  # a change needs the strong tag
    record = await api.store.get_address(body["address"])
    assert (record.tags, record.state.value) == ({"team": "platform"}, "active")
    retired, _ = await api.call("POST", f"{url}/retire", headers={"If-Match": f'"other", {linked.headers["ETag"]}'})
    assert retired.status == 200 and retired.headers["ETag"] not in (first, linked.headers["ETag"])


async def test_if_match_star_and_if_none_match(api):
    created, body = await api.call("POST", "/api/v1/addresses", json=NEW)
    url, tag = body["links"]["self"], created.headers["ETag"]

    unchanged = await api.client.get(url, headers=api.auth() | {"If-None-Match": f"W/{tag}"})
    assert (unchanged.status, unchanged.headers["ETag"], await unchanged.read()) == (304, tag, b"")
    star, _ = await api.call("PATCH", url, json={"tags": {"a": "b"}}, headers={"If-Match": "*"})
    changed, _ = await api.call("GET", url, headers={"If-None-Match": tag})
    garbled, problem = await api.call("PATCH", url, json={"tags": {"a": "c"}}, headers={"If-Match": "no quotes"})

    assert star.status == 200 and changed.status == 200
    assert (garbled.status, problem["errors"]) == (422, {"If-Match": problem["errors"]["If-Match"]})
    missing, _ = await api.call("PATCH", "/api/v1/addresses/aws-nobody@example.com", json={"tags": {}},
                                headers={"If-Match": "*"})
    assert missing.status == 404


async def test_etags_of_two_addresses_never_match_each_other(api):
    one, _ = await api.call("POST", "/api/v1/addresses", json=NEW)
    two, body = await api.call("POST", "/api/v1/addresses", json=NEW | {"account_name": "Two"})

    assert one.headers["ETag"] != two.headers["ETag"]  # both are version 1 of their record in SQLite
    refused, _ = await api.call("PATCH", body["links"]["self"], json={"tags": {"x": "y"}},
                                headers={"If-Match": one.headers["ETag"]})
    assert refused.status == 412
