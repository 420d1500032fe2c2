"""/api/v1/root: the same audit and root tasks for automation, behind their own app roles, with the same approval
rule (the approver is not the requester)."""
from __future__ import annotations

from tests.fakes.jwks import AUDIENCE, PIPELINE_OID
from tests.integration.root.helpers import DATA, PAYMENTS, SANDBOX, org, own, start  # noqa: F401

READ, REQUEST, APPROVE = "RootMail.RootAccess.Read", "RootMail.RootTasks.Request", "RootMail.RootTasks.Approve"
OTHER = {"oid": "7f000000-0000-4000-8000-00000000c0de", "sub": "7f000000-0000-4000-8000-00000000c0de",
         "azp": "7f000000-0000-4000-8000-0000000a0001"}


async def _api(start, tenant):
    return await start(ROOTMAIL_API_AUDIENCE=AUDIENCE, ROOTMAIL_API_TENANT_ID=tenant.tenant_id,
                       ROOTMAIL_API_METADATA_URL=tenant.metadata_url)


async def call(harness, tenant, method: str, path: str, roles=(READ,), claims=None, **kwargs):
    token = tenant.token(roles=roles, **(claims or {}))
    response = await harness.client.request(method, f"/api/v1/root{path}",
                                            headers={"Authorization": f"Bearer {token}"}, **kwargs)
    return response.status, await response.json(content_type=None)


async def test_the_posture_is_read_and_audited_with_the_read_role(start, org, tenant):
    harness = await _api(start, tenant)

    before, _ = await call(harness, tenant, "GET", "/posture")
    status, audited = await call(harness, tenant, "POST", "/audits")
    _, account = await call(harness, tenant, "GET", f"/accounts/{SANDBOX}")
    denied, problem = await call(harness, tenant, "POST", "/audits", roles=("RootMail.ReadWrite",))

    assert before == 404 and status == 200
    assert (audited["members"], audited["with_root_credentials"], audited["unreadable"]) == (3, 2, 0)
    assert account["root_credentials"] == ["access-keys", "certificates"] and account["access_keys"] == 1
    assert denied == 403 and problem["type"].endswith("/missing-role")


async def test_a_task_asked_over_the_api_needs_another_caller_to_approve_it(start, org, tenant):
    harness = await _api(start, tenant)
    await own(harness, org, PAYMENTS)

    created, task = await call(harness, tenant, "POST", "/tasks", roles=(REQUEST, APPROVE),
                               json={"account_id": PAYMENTS, "task": "delete-credentials", "credentials": ["mfa"]})
    own_approval, refused = await call(harness, tenant, "POST", f"/tasks/{task['id']}/approve", roles=(REQUEST, APPROVE))
    approved, done = await call(harness, tenant, "POST", f"/tasks/{task['id']}/approve", roles=(APPROVE,), claims=OTHER)
    again, decided = await call(harness, tenant, "POST", f"/tasks/{task['id']}/approve", roles=(APPROVE,), claims=OTHER)

    assert created == 201 and task["state"] == "requested" and task["requested_by"] == PIPELINE_OID
    assert own_approval == 403 and refused["type"].endswith("/forbidden") and "two-person rule" in refused["detail"]
    assert approved == 200 and done["state"] == "done" and done["approved_by"] == OTHER["oid"]
    assert done["session"]["task_policy"] == "IAMDeleteRootUserCredentials"
    assert done["session"]["duration_seconds"] == 120 and done["session"]["session_name"] == f"rootmail-task-{task['id']}"
    assert again == 409 and decided["type"].endswith("/task-decided")
    assert org.root(PAYMENTS).mfa == [] and org.root(PAYMENTS).password  # only what was asked for
    address = (await harness.store.get_by_account_id(PAYMENTS)).address
    history = [(e.actor, e.action) for e in reversed(await harness.store.audit_for(address, 4))]
    assert history == [(PIPELINE_OID, "root-task-requested"), (PIPELINE_OID, "refused"),
                       (OTHER["oid"], "root-task-approved"), ("rootmail-root-access", "root-task-done")]


async def test_aws_refusals_and_bad_requests_are_problems(start, org, tenant):
    harness = await _api(start, tenant)

    management, problem = await call(harness, tenant, "POST", "/tasks", roles=(REQUEST,),
                                     json={"account_id": "111111111111", "task": "unlock-bucket", "target": "b-1"})
    invalid, fields = await call(harness, tenant, "POST", "/tasks", roles=(REQUEST,),
                                 json={"account_id": "12", "task": "unlock-bucket"})
    app_recovery, refused = await call(harness, tenant, "POST", "/tasks", roles=(REQUEST,),
                                       json={"account_id": DATA, "task": "allow-recovery"})

    assert management == 409 and problem["reason"] == "management-account"
    assert invalid == 422 and set(fields["errors"]) == {"account_id", "bucket"}
    assert app_recovery == 422 and "delegated" in refused["errors"]["task"]


async def test_a_person_may_ask_for_a_recovery_over_the_api_and_is_the_one_it_is_revealed_to(start, org, tenant):
    harness = await _api(start, tenant)
    await own(harness, org, DATA)
    person = {"oid": "aad-bob", "sub": "aad-bob", "scp": "RootMail.Use", "name": "Bob Builder"}

    created, task = await call(harness, tenant, "POST", "/tasks", roles=(REQUEST,), claims=person,
                               json={"account_id": DATA, "task": "allow-recovery", "minutes": 15})

    assert created == 201 and task["requested_by"] == "aad-bob" and task["window_minutes"] == 15
