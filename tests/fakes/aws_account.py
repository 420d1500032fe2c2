"""A fake AWS organization on a random loopback port, for botocore pointed at it with `endpoint_url`.

It speaks the real wire formats: AWS Account Management (REST-JSON: POST /startPrimaryEmailUpdate,
/acceptPrimaryEmailUpdate, /getPrimaryEmail; errors as `x-amzn-ErrorType` + JSON body), the AWS Organizations calls
RootMail makes (JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.*`) and STS AssumeRole (query protocol, XML).
STS AssumeRoleWithWebIdentity is answered as IAM would decide it for the roles of infra/aws/rootmail-roles.yaml
(tests/fakes/aws_trust.py) once `web_identity` is set. StartPrimaryEmailUpdate mails the code, as AWS does, over real SMTP to the new address, verified by the boundary
RootMail's embedded default trusts. Faults are set per account on `AwsOrg`; every call is recorded in `calls`.
"""
from __future__ import annotations

import asyncio
import re
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

from scripts.demo_mail import build_message

ORG = "o-rootmail01"
ASSUMED_KEY = "ASIAROOTMAILFAKE0001"
_CODE_LINE = re.compile(r"(?m)^([A-Z0-9]{6})$")


@dataclass
class Account:
    id: str
    name: str
    email: str
    state: str = "ACTIVE"  # ACTIVE | SUSPENDED | PENDING_CLOSURE | CLOSED


@dataclass
class Pending:
    email: str
    code: str
    expired: bool = False


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    service: str  # from the SigV4 credential scope
    key_id: str


@dataclass
class AwsOrg:
    management: str = "111111111111"
    accounts: dict[str, Account] = field(default_factory=dict)
    trusted_access: bool = True
    deny_service_listing: bool = False  # the role may not read trusted access (organizations:List*)
    throttle: int = 0  # the next N Account Management calls answer 429 TooManyRequestsException
    drop_codes: dict[str, int] = field(default_factory=dict)  # account -> code mails that never arrive
    wrong_codes: dict[str, int] = field(default_factory=dict)  # account -> mails carrying a code AWS won't take
    expire_codes: dict[str, int] = field(default_factory=dict)  # account -> codes expired before they are accepted
    name_other_account: dict[str, str] = field(default_factory=dict)  # account -> the id its next mail names
    mail_delay: float = 0.0
    smtp: tuple[str, int] | None = None  # RootMail's SMTP inbox
    session_seconds: int = 3600  # lifetime of the credentials AssumeRoleWithWebIdentity hands out
    web_identity: Any = None  # (tests.fakes.aws_trust.Stack, the issuer's FakeTenant): keyless sign-in accepted
    refused_roles: set[str] = field(default_factory=set)  # AssumeRole answers AccessDenied for these role ARNs
    denied: set[str] = field(default_factory=set)  # operations the role's policy does not allow (AccessDeniedException)
    pending: dict[str, Pending] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    sent_codes: list[tuple[str, str, str]] = field(default_factory=list)  # (account, to, code in the mail)
    _mailing: set = field(default_factory=set)
    # smtplib blocks: its own threads, so a test never starves the threads RootMail's SMTP inbox parses mail in
    _senders: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, "fake-aws-smtp"))

    def add(self, account_id: str, name: str, email: str, state: str = "ACTIVE") -> Account:
        self.accounts[account_id] = account = Account(account_id, name, email, state)
        return account

    def of(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    async def mails_sent(self) -> None:
        """Until every code mail under way reached the SMTP inbox."""
        while self._mailing:
            await asyncio.gather(*list(self._mailing), return_exceptions=True)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._query_or_json)
        app.router.add_post("/startPrimaryEmailUpdate", self._start)
        app.router.add_post("/acceptPrimaryEmailUpdate", self._accept)
        app.router.add_post("/getPrimaryEmail", self._get)
        return app

    # --- AWS Account Management (REST-JSON) -------------------------------------------------------------------------
    async def _start(self, request: web.Request) -> web.Response:
        body, refused = await self._account_call(request, "StartPrimaryEmailUpdate")
        if refused:
            return refused
        account_id, email = body.get("AccountId", ""), str(body.get("PrimaryEmail", ""))
        if not 5 <= len(email) <= 64:
            return _rest_error(400, "ValidationException", "Invalid PrimaryEmail.", field_name="PrimaryEmail")
        account = self.accounts[account_id]
        if account.state != "ACTIVE":
            return _rest_error(409, "ConflictException", f"The account is {account.state.lower()}.")
        if any(a.email.lower() == email.lower() for a in self.accounts.values()):
            return _rest_error(409, "ConflictException", "The email address is already in use.")
        task = asyncio.get_running_loop().create_task(self._mail_code(account_id, email))
        self._mailing.add(task)
        task.add_done_callback(self._mailing.discard)
        return web.json_response({"Status": "PENDING"})

    async def _accept(self, request: web.Request) -> web.Response:
        body, refused = await self._account_call(request, "AcceptPrimaryEmailUpdate")
        if refused:
            return refused
        pending = self.pending.get(body["AccountId"])
        if pending is None or pending.email.lower() != str(body.get("PrimaryEmail", "")).lower():
            return _rest_error(404, "ResourceNotFoundException", "No pending primary email update was found.")
        if pending.expired:
            return _rest_error(400, "ValidationException", "The one-time password has expired.", field_name="Otp")
        if body.get("Otp") != pending.code:
            return _rest_error(400, "ValidationException", "The one-time password is not valid.", field_name="Otp")
        self.accounts[body["AccountId"]].email = pending.email
        del self.pending[body["AccountId"]]
        return web.json_response({"Status": "ACCEPTED"})

    async def _get(self, request: web.Request) -> web.Response:
        body, refused = await self._account_call(request, "GetPrimaryEmail")
        if refused:
            return refused
        return web.json_response({"PrimaryEmail": self.accounts[body["AccountId"]].email})

    async def _account_call(self, request: web.Request, operation: str) -> tuple[dict, web.Response | None]:
        body = await request.json()
        self._record(request, operation, body)
        if operation in self.denied:  # Account Management's AccessDeniedException is a 403 (its API reference, Errors)
            return body, _rest_error(403, "AccessDeniedException", f"You are not authorized to perform: "
                                     f"account:{operation}")
        if self.throttle > 0:
            self.throttle -= 1
            return body, _rest_error(429, "TooManyRequestsException", "Rate exceeded.")
        account_id = str(body.get("AccountId", ""))
        if not re.fullmatch(r"\d{12}", account_id):
            return body, _rest_error(400, "ValidationException", "Invalid AccountId.", field_name="AccountId")
        if not self.trusted_access:
            return body, _rest_error(403, "AccessDeniedException", "Trusted access is not enabled for the "
                                     "Account Management service in this organization.")
        if account_id == self.management:
            return body, _rest_error(400, "ValidationException", "The management account can't specify its own "
                                     "AccountId.", field_name="AccountId")
        if account_id not in self.accounts:
            return body, _rest_error(404, "ResourceNotFoundException", "The account was not found.")
        return body, None

    async def _mail_code(self, account_id: str, email: str) -> None:
        named = self.name_other_account.pop(account_id, account_id)
        message = build_message("email-update", email, named)
        code = _CODE_LINE.search(message.get_body(("plain",)).get_content())[1]
        pending = Pending(email, code)
        if _take(self.wrong_codes, account_id):
            pending.code = "Z" + code[1:] if code[0] != "Z" else "Y" + code[1:]
        pending.expired = _take(self.expire_codes, account_id)
        self.pending[account_id] = pending
        if _take(self.drop_codes, account_id):
            return
        await asyncio.sleep(self.mail_delay)
        assert self.smtp is not None, "set AwsOrg.smtp to RootMail's SMTP inbox"
        self.sent_codes.append((account_id, email, code))
        await asyncio.get_running_loop().run_in_executor(self._senders, _send, message, *self.smtp)

    # --- AWS Organizations (JSON 1.1) and STS (query) ---------------------------------------------------------------
    async def _query_or_json(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        if target.startswith("AWSOrganizationsV20161128."):
            operation = target.partition(".")[2]
            body = await request.json()
            self._record(request, operation, body)
            return self._organizations(operation, body)
        form = dict(await request.post())
        self._record(request, str(form.get("Action", "")), form)
        if form.get("Action") == "AssumeRoleWithWebIdentity":
            return self._web_identity(form)
        if form.get("Action") != "AssumeRole":
            return web.Response(status=400, text="unsupported")
        if form.get("RoleArn") in self.refused_roles:
            # a trust policy that does not name the caller: 403 AccessDenied, "User: ... is not authorized to perform:
            # sts:AssumeRole on resource: ..." (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html,
            # Errors; the message shape from IAM's "Troubleshooting IAM roles" page)
            return _sts_error(403, "AccessDenied", f"User: arn:aws:iam::{self.management}:user/rootmail is not "
                              f"authorized to perform: sts:AssumeRole on resource: {form.get('RoleArn')}")
        return web.Response(text=_assumed(str(form.get("RoleArn", "")), str(form.get("RoleSessionName", ""))),
                            content_type="text/xml")

    def _web_identity(self, form: dict) -> web.Response:
        """AssumeRoleWithWebIdentity: the token's signature against the issuer's published keys (IAM reads them from
        the provider's OpenID metadata), its expiry with IAM's five minutes of clock skew
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html), then the provider and the
        role's trust policy. Errors and status codes: the API reference's Errors section,
        https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html."""
        if self.web_identity is None:
            return _sts_error(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account")
        stack, issuer = self.web_identity
        token, role_arn = str(form.get("WebIdentityToken", "")), str(form.get("RoleArn", ""))
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next(k for k in issuer.published if k.kid == kid)
            claims = jwt.decode(token, key.private.public_key(), algorithms=["RS256"], leeway=300,
                                options={"verify_aud": False, "require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            return _sts_error(400, "ExpiredTokenException", "Token expired")
        except (jwt.PyJWTError, StopIteration):
            return _sts_error(400, "InvalidIdentityToken", "The web identity token that was passed could not be "
                              "validated by AWS")
        decision = stack.decide(role_arn, claims)
        if not decision.allowed:
            return _sts_error(403 if decision.code == "AccessDenied" else 400, decision.code, decision.reason)
        return web.Response(text=_assumed_web(role_arn, str(form.get("RoleSessionName", "")), claims,
                                              self.session_seconds),
                            content_type="text/xml")

    def _organizations(self, operation: str, body: dict) -> web.Response:
        if operation in self.denied:  # AccessDeniedException, 400, per the Organizations API reference's Errors
            return _json({"__type": "AccessDeniedException", "Message": "You don't have permissions to access this "
                          "resource."}, 400)
        if operation == "DescribeOrganization":
            return _json({"Organization": {"Id": ORG, "Arn": f"arn:aws:organizations::{self.management}:organization/"
                                           f"{ORG}", "FeatureSet": "ALL", "MasterAccountId": self.management,
                                           "MasterAccountArn": f"arn:aws:organizations::{self.management}:account/"
                                           f"{ORG}/{self.management}"}})
        if operation == "ListAWSServiceAccessForOrganization":
            if self.deny_service_listing:
                return _json({"__type": "AccessDeniedException", "Message": "You don't have permissions."}, 400)
            enabled = [{"ServicePrincipal": "account.amazonaws.com", "DateEnabled": 1.7e9}] if self.trusted_access else []
            return _json({"EnabledServicePrincipals": enabled})
        if operation == "ListAccounts":
            everyone = [Account(self.management, "Management", f"root+{self.management}@corp.example")]
            everyone += list(self.accounts.values())
            start, size = int(body.get("NextToken") or 0), int(body.get("MaxResults") or 20)
            page = [{"Id": a.id, "Arn": f"arn:aws:organizations::{self.management}:account/{ORG}/{a.id}",
                     "Email": a.email, "Name": a.name, "State": a.state, "JoinedMethod": "INVITED",
                     "Status": "SUSPENDED" if a.state != "ACTIVE" else "ACTIVE", "JoinedTimestamp": 1.6e9}
                    for a in everyone[start:start + size]]
            answer: dict[str, Any] = {"Accounts": page}
            if start + size < len(everyone):
                answer["NextToken"] = str(start + size)
            return _json(answer)
        return _json({"__type": "UnsupportedAPIEndpointException", "Message": operation}, 400)

    def _record(self, request: web.Request, operation: str, params: dict) -> None:
        scope = re.search(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/", request.headers.get("Authorization", ""))
        self.calls.append(Call(operation, dict(params), scope[2] if scope else "", scope[1] if scope else ""))


def _take(counts: dict[str, int], account_id: str) -> bool:
    if counts.get(account_id, 0) > 0:
        counts[account_id] -= 1
        return True
    return False


def _send(message, host: str, port: int) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


def _json(body: dict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, content_type="application/x-amz-json-1.1")


def _rest_error(status: int, kind: str, message: str, field_name: str = "") -> web.Response:
    body: dict[str, Any] = {"message": message}
    if kind == "ValidationException":
        body |= {"reason": "fieldValidationFailed", "fieldList": [{"name": field_name, "message": message}]}
    return web.json_response(body, status=status, headers={"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/"})


def _sts_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, content_type="text/xml", text=(
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"))


def _assumed_web(role_arn: str, session: str, claims: dict, seconds: int) -> str:
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
    return ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>{claims['sub']}"
            f"</SubjectFromWebIdentityToken><Audience>{claims['aud']}</Audience><Credentials>"
            f"<AccessKeyId>{ASSUMED_KEY}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey>"
            f"<SessionToken>fake-session-token</SessionToken><Expiration>{expires}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId><Arn>{role_arn}</Arn>"
            f"</AssumedRoleUser><Provider>{claims['iss'].removeprefix('https://')}</Provider>"
            "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>"
            "</AssumeRoleWithWebIdentityResponse>")


def _assumed(role_arn: str, session: str) -> str:
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    return ('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>{ASSUMED_KEY}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey>"
            f"<SessionToken>fake-session-token</SessionToken><Expiration>{expires}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId><Arn>{role_arn}</Arn>"
            "</AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>"
            "</AssumeRoleResponse>")


def runner_keys(monkeypatch) -> None:
    """This host's own AWS keys, as a runner outside Azure has them: RootMail assumes its roles with them."""
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIARUNNER", "AWS_SECRET_ACCESS_KEY": "runner-secret"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
