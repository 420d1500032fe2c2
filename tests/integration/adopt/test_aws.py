"""aws.account against the loopback fake AWS organization: the wire format botocore speaks, and its errors in core's
words (decided by error code)."""
from __future__ import annotations

import threading

import pytest

from aws.account import ACCOUNT_MANAGEMENT, AccountClient
from core.adoption.states import AccessRefused, CodeRejected, NotEligible, OrgFacts, Transient
from tests.fakes.aws_account import ASSUMED_KEY, AwsOrg

ROLE = "arn:aws:iam::111111111111:role/RootMailAdopter"
MEMBER = "222222222222"


@pytest.fixture
async def aws(aiohttp_server, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIARUNNER", "AWS_SECRET_ACCESS_KEY": "runner-secret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    org = AwsOrg()
    org.add(MEMBER, "Legacy Billing", "billing-root@corp.example")
    org.add("333333333333", "Old Sandbox", "sandbox@corp.example", state="SUSPENDED")
    server = await aiohttp_server(org.app())
    org.url = str(server.make_url("/"))
    return org


def client(aws: AwsOrg, **options) -> AccountClient:
    return AccountClient(ROLE, endpoint_url=aws.url, attempts=1, **options)


async def test_the_move_runs_on_the_assumed_role_in_a_worker_thread(aws, monkeypatch):
    aws.drop_codes[MEMBER] = 1  # no SMTP here: the code is read from the fake
    threads = []
    call = AccountClient._call
    monkeypatch.setattr(AccountClient, "_call", lambda self, *a, **k: threads.append(threading.current_thread())
                        or call(self, *a, **k))
    account = client(aws, external_id="rootmail-7f3a")

    await account.start_update(MEMBER, "aws-0001@example.com")
    await account.accept_update(MEMBER, "aws-0001@example.com", aws.pending[MEMBER].code)

    assert await account.primary_email(MEMBER) == "aws-0001@example.com"
    assume = aws.of("AssumeRole")
    assert len(assume) == 1 and assume[0].params["RoleArn"] == ROLE
    assert assume[0].params["ExternalId"] == "rootmail-7f3a" and assume[0].key_id == "AKIARUNNER"
    moves = aws.of("StartPrimaryEmailUpdate") + aws.of("AcceptPrimaryEmailUpdate") + aws.of("GetPrimaryEmail")
    assert [(c.service, c.key_id) for c in moves] == [("account", ASSUMED_KEY)] * 3
    assert aws.of("StartPrimaryEmailUpdate")[0].params == {"AccountId": MEMBER, "PrimaryEmail": "aws-0001@example.com"}
    assert threads and all(t is not threading.main_thread() for t in threads)


async def test_the_organization_names_its_management_account_and_trusted_access(aws):
    assert await client(aws).organization() == OrgFacts("111111111111", True)
    aws.trusted_access = False
    assert await client(aws).organization() == OrgFacts("111111111111", False)
    aws.deny_service_listing = True
    assert await client(aws).organization() == OrgFacts("111111111111", None)
    assert {c.service for c in aws.of("DescribeOrganization")} == {"organizations"}
    assert ACCOUNT_MANAGEMENT == "account.amazonaws.com"


async def test_a_wrong_or_expired_code_is_a_rejected_code_with_aws_words(aws):
    aws.drop_codes[MEMBER] = 2
    aws.wrong_codes[MEMBER] = 1
    account = client(aws)
    await account.start_update(MEMBER, "aws-0001@example.com")
    wrong = aws.sent_codes  # nothing mailed; the pending code is not what a mail would have carried
    with pytest.raises(CodeRejected, match="ValidationException: The one-time password is not valid"):
        await account.accept_update(MEMBER, "aws-0001@example.com", "AAAAAA")
    aws.expire_codes[MEMBER] = 1
    await account.start_update(MEMBER, "aws-0001@example.com")
    with pytest.raises(CodeRejected, match="has expired"):
        await account.accept_update(MEMBER, "aws-0001@example.com", aws.pending[MEMBER].code)
    assert wrong == []


async def test_no_pending_change_is_a_rejected_code(aws):
    with pytest.raises(CodeRejected, match="no pending change"):
        await client(aws).accept_update(MEMBER, "aws-0001@example.com", "A7K2QZ")


async def test_throttling_is_transient_after_botocores_own_retries(aws):
    aws.throttle = 3
    account = AccountClient(ROLE, endpoint_url=aws.url, attempts=2)

    with pytest.raises(Transient, match="throttled StartPrimaryEmailUpdate") as busy:
        await account.start_update(MEMBER, "aws-0001@example.com")

    assert busy.value.throttled
    assert len(aws.of("StartPrimaryEmailUpdate")) == 2  # botocore retried once on its own
    aws.drop_codes[MEMBER] = 1
    await account.start_update(MEMBER, "aws-0001@example.com")  # the third answer was 429, the fourth goes through
    assert aws.pending[MEMBER]


async def test_trusted_access_off_refuses_rootmail_as_a_whole(aws):
    aws.trusted_access = False
    with pytest.raises(AccessRefused, match="trusted access for AWS Account Management must be enabled"):
        await client(aws).start_update(MEMBER, "aws-0001@example.com")


async def test_accounts_aws_will_not_change_are_not_eligible(aws):
    account = client(aws)
    with pytest.raises(NotEligible, match="ConflictException: The account is suspended"):
        await account.start_update("333333333333", "aws-0002@example.com")
    with pytest.raises(NotEligible, match="ValidationException: The management account"):
        await account.start_update("111111111111", "aws-0003@example.com")
    with pytest.raises(NotEligible, match="does not know the account"):
        await account.start_update("444444444444", "aws-0004@example.com")
    with pytest.raises(NotEligible, match="already in use"):
        await account.start_update(MEMBER, "sandbox@corp.example")


async def test_a_role_rootmail_may_not_assume_refuses_everything(aws, aiohttp_server):
    from aiohttp import web

    denied = web.Application()

    async def sts(request: web.Request) -> web.Response:
        return web.Response(status=403, content_type="text/xml", text=(
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            "<Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>"))

    denied.router.add_post("/", sts)
    server = await aiohttp_server(denied)

    with pytest.raises(AccessRefused, match="could not assume .*trust policy"):
        await AccountClient(ROLE, endpoint_url=str(server.make_url("/")), attempts=1).start_update(
            MEMBER, "aws-0001@example.com")


async def test_an_unreachable_aws_is_transient():
    account = AccountClient(ROLE, endpoint_url="http://127.0.0.1:9", attempts=1)
    with pytest.raises(Transient) as down:
        await account.start_update(MEMBER, "aws-0001@example.com")
    assert not down.value.throttled
