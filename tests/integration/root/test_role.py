"""What RootMail does as its root-access role is exactly what infra/aws/rootmail-roles.yaml grants that role: an audit
and a task against the fake, every call signed with the role's credentials compared with the template's policy."""
from __future__ import annotations

from tests.fakes import teams
from tests.fakes.aws_account import ASSUMED_KEY
from tests.fakes.aws_trust import Stack
from tests.integration.root.helpers import ADMIN_CHAT, PAYMENTS, ask, org, own, start, task_id  # noqa: F401

PARAMETERS = {"EntraTenantId": "72f988bf-0000-4000-8000-000000000001", "FederationAudience": "api://rootmail-aws",
              "FederationAppId": "6b1f0c2e-0000-4000-8000-00000000f001",
              "ManagedIdentityPrincipalId": "0f0f0f0f-0000-4000-8000-000000000001", "OrganizationId": "o-rootmail01"}


async def test_the_role_does_nothing_its_template_policy_does_not_grant(start, org):
    org.buckets["payments-logs"] = (PAYMENTS, "{}")
    harness = await start()
    await own(harness, org, PAYMENTS)
    await harness.say("root status", ADMIN_CHAT)
    asked = await ask(harness, f"{PAYMENTS} unlock-bucket payments-logs")
    await harness.execute("root.approve", {"task": task_id(asked)}, ADMIN_CHAT, teams.ALICE)

    used = {f"{c.service}:{c.operation}" for c in org.calls if c.key_id == ASSUMED_KEY}
    [policy] = Stack(PARAMETERS).policies("RootAccessRole")
    granted = {action for s in policy["Statement"] for action in
               (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert used == granted  # all of it needed, nothing more
    tasks = {c.params["TaskPolicyArn.arn"].rsplit("/", 1)[1] for c in org.of("AssumeRoot")}
    allowed = {arn.rsplit("/", 1)[1] for s in policy["Statement"] if "Condition" in s
               for arn in s["Condition"]["ArnEquals"]["sts:TaskPolicyArn"]}
    assert tasks <= allowed
