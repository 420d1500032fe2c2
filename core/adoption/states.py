"""Adopting an existing AWS account, as a pure state machine: its root e-mail moves to a RootMail address and the
primary-e-mail-update code AWS sends there is used by RootMail itself, never shown to anyone.

Each account goes QUEUED -> ASKING -> WAITING -> ACCEPTING -> DONE, or ends FAILED with a reason in words an admin can
act on. Every function takes `now`; core.adoption.adopter performs the calls and records each step before the next one, so a
run survives a restart (see `resumed`).
"""
from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Iterable, Protocol

from core.errors import RootMailError
from core.model import InboundMail, MailState

UPDATE_CODE_KIND = "email_update_code"  # core.intake.aws_mail_rules
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


class Step(str, enum.Enum):
    QUEUED = "queued"  # not started yet, or a new code is to be asked for
    ASKING = "asking"  # StartPrimaryEmailUpdate is under way
    WAITING = "waiting"  # AWS sends the code to the new address; RootMail waits for it in its own mail
    ACCEPTING = "accepting"  # the code was taken out of the mail; AcceptPrimaryEmailUpdate is under way
    DONE = "done"
    FAILED = "failed"


FINAL = frozenset({Step.DONE, Step.FAILED})


@dataclass(frozen=True)
class Policy:
    code_wait: timedelta = timedelta(minutes=10)  # how long a code may take to arrive
    code_requests: int = 2  # codes asked for per account: the first and one retry
    backoff: timedelta = timedelta(seconds=5)  # first pause after AWS throttled or failed; doubles each time
    max_backoff: timedelta = timedelta(minutes=5)
    transient: int = 8  # throttled or unavailable answers tolerated per account before it fails
    poll: timedelta = timedelta(seconds=2)  # how often the mail is looked at when no wake-up came
    card_every: timedelta = timedelta(seconds=3)  # at most one progress card update per this


@dataclass(frozen=True)
class OrgFacts:
    """What the organization says about adoption as a whole."""

    management_account: str = ""  # "" when it could not be read
    trusted_access: bool | None = None  # AWS Account Management trusted access; None: could not be read


# --- what the AWS Account Management API answers, translated by the edge (aws.account) -----------------------------
class AccountApiError(RootMailError):
    """AWS refused or failed a call; the message is safe to show (no code in it)."""


class Transient(AccountApiError):
    """Throttled (TooManyRequestsException) or AWS unavailable: try again later."""

    def __init__(self, message: str, throttled: bool = True):
        self.throttled = throttled
        super().__init__(message)


class NotEligible(AccountApiError):
    """AWS will not change this account's root e-mail (not a member, address in use, ...)."""


class CodeRejected(AccountApiError):
    """AcceptPrimaryEmailUpdate refused the code: wrong, expired, or no pending change."""


class AccessRefused(AccountApiError):
    """RootMail may not call the Account Management API at all: fatal for the whole run."""


class AccountApi(Protocol):
    async def organization(self) -> OrgFacts:
        """Management account and trusted access; parts that cannot be read are left unknown, never raised."""

    async def start_update(self, account_id: str, email: str) -> None:
        """account:StartPrimaryEmailUpdate. Raises the AccountApiError kinds above."""

    async def accept_update(self, account_id: str, email: str, code: str) -> None:
        """account:AcceptPrimaryEmailUpdate. Raises the AccountApiError kinds above."""

    async def primary_email(self, account_id: str) -> str:
        """account:GetPrimaryEmail."""


# --- records ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """One `adopt` command: who started it, which channel gets the accounts, where its progress card is."""

    id: str
    owner: str  # conversation id of the channel the adopted addresses belong to
    owner_name: str
    environment: str
    by: str  # Entra object id (or Teams id) of the admin
    by_name: str
    where: str  # conversation id of the progress card
    started_at: datetime
    accounts: int
    activity_id: str = ""  # the progress card
    finished_at: datetime | None = None
    aborted: str = ""  # why the rest of the run was given up (AWS refuses RootMail as a whole)

    def to_json(self) -> dict[str, Any]:
        return _dump(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Run":
        return cls(**_load(data, ("started_at", "finished_at")))


@dataclass(frozen=True)
class Adoption:
    run: str
    account_id: str
    account_name: str
    old_email: str
    state: str = "ACTIVE"  # as AWS Organizations listed the account
    step: Step = Step.QUEUED
    address: str = ""  # the RootMail address it moves to, once allocated
    requests: int = 0  # codes asked for so far
    asked_at: datetime | None = None  # when the current code was asked for
    not_before: datetime | None = None  # paused after throttling until then
    transient: int = 0
    reason: str = ""  # why it failed, or what it is waiting for
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def final(self) -> bool:
        return self.step in FINAL

    def to_json(self) -> dict[str, Any]:
        return _dump(asdict(self) | {"step": self.step.value})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Adoption":
        loaded = _load(data, ("asked_at", "not_before", "updated_at"))
        return cls(**loaded | {"step": Step(loaded["step"])})


def _dump(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def _load(data: dict[str, Any], times: tuple[str, ...]) -> dict[str, Any]:
    return {k: datetime.fromisoformat(v) if k in times and v else v for k, v in data.items()}


# --- eligibility -----------------------------------------------------------------------------------------------------
TRUSTED_ACCESS_OFF = ("trusted access for AWS Account Management is not enabled in the organization; enable it "
                      "(aws organizations enable-aws-service-access --service-principal account.amazonaws.com) "
                      "and adopt again")


def ineligible(account_id: str, state: str, facts: OrgFacts) -> str:
    """Why AWS will not let RootMail move this account's root e-mail, or "" when nothing speaks against it."""
    if facts.management_account and account_id == facts.management_account:
        return ("not eligible: it is the organization's management account, whose root e-mail only its own "
                "root user can change")
    if state.upper() != "ACTIVE":
        return f"not eligible: the account is {state.lower().replace('_', ' ')}; AWS changes active accounts only"
    if facts.trusted_access is False:
        return f"not eligible: {TRUSTED_ACCESS_OFF}"
    return ""


# --- transitions -----------------------------------------------------------------------------------------------------
def asking(item: Adoption, address: str, now: datetime) -> Adoption:
    """Recorded before StartPrimaryEmailUpdate, so a code that arrives before the call returns still counts."""
    return replace(item, step=Step.ASKING, address=address, asked_at=now, not_before=None, updated_at=now)


def asked(item: Adoption, now: datetime) -> Adoption:
    return replace(item, step=Step.WAITING, requests=item.requests + 1, reason="", updated_at=now)


def code_taken(item: Adoption, now: datetime) -> Adoption:
    return replace(item, step=Step.ACCEPTING, reason="", updated_at=now)


def accepted(item: Adoption, now: datetime, note: str = "") -> Adoption:
    return replace(item, step=Step.DONE, reason=note, not_before=None, updated_at=now)


def failed(item: Adoption, now: datetime, reason: str) -> Adoption:
    return replace(item, step=Step.FAILED, reason=reason, not_before=None, updated_at=now)


def timed_out(item: Adoption, now: datetime, policy: Policy) -> Adoption:
    waited = _minutes(policy.code_wait)
    if item.requests < policy.code_requests:
        return replace(item, step=Step.QUEUED, reason=f"no code within {waited}; asking AWS again", updated_at=now)
    return failed(item, now, f"no code arrived within {waited}, {item.requests} times")


def rejected(item: Adoption, now: datetime, policy: Policy, why: str) -> Adoption:
    if item.requests < policy.code_requests:
        return replace(item, step=Step.QUEUED, reason=f"AWS rejected the code ({why}); asking for a new one",
                       updated_at=now)
    return failed(item, now, f"AWS rejected the code {item.requests} times (last: {why})")


def paused(item: Adoption, now: datetime, policy: Policy, why: str) -> Adoption:
    """AWS throttled or failed: wait, doubling each time; too many in a row and the account fails."""
    count = item.transient + 1
    if count > policy.transient:
        return replace(failed(item, now, f"AWS kept refusing for now ({why}), {count} times"), transient=count)
    delay = min(policy.backoff * 2 ** (count - 1), policy.max_backoff)
    step = Step.QUEUED if item.step is Step.ASKING else item.step  # an ask that did not go through is asked again
    return replace(item, step=step, transient=count, not_before=now + delay, reason=f"{why}; trying again",
                   updated_at=now)


def resumed(item: Adoption, now: datetime) -> Adoption:
    """After a restart: an ask that may not have reached AWS is repeated (a new code replaces the old one)."""
    if item.step is Step.ASKING:
        return replace(item, step=Step.QUEUED, updated_at=now)
    return item


# --- what to do next -------------------------------------------------------------------------------------------------
class Act(str, enum.Enum):
    NOTHING = "nothing"  # final
    PAUSE = "pause"  # until `not_before`
    ASK = "ask"
    LOOK = "look"  # for the code in the address's mail
    TIME_OUT = "time_out"
    ACCEPT = "accept"  # ACCEPTING found on resume: the code is gone, AWS is asked whether the change went through


def next_act(item: Adoption, now: datetime, policy: Policy) -> Act:
    if item.final:
        return Act.NOTHING
    if item.not_before is not None and now < item.not_before:
        return Act.PAUSE
    if item.step in (Step.QUEUED, Step.ASKING):
        return Act.ASK
    if item.step is Step.WAITING:
        asked_at = item.asked_at or now
        return Act.TIME_OUT if now >= asked_at + policy.code_wait else Act.LOOK
    return Act.ACCEPT


def code_problem(mail: InboundMail, item: Adoption) -> str:
    """Why this mail's code must not be used for this adoption, or "" when it may: a primary-e-mail-update code
    from a verified AWS sender, to the adopted address, that arrived after the code was asked for and names no
    other account."""
    if mail.kind != UPDATE_CODE_KIND:
        return "not a primary e-mail update code"
    if mail.verdict != "verified":
        return "the sender is not a verified AWS sender"
    if mail.address != item.address:
        return "sent to another address"
    if item.asked_at is None or mail.received_at < item.asked_at:
        return "arrived before the code was asked for"
    if not mail.secret:
        return "no code kept"
    named = set(_ACCOUNT_ID.findall(f"{mail.subject}\n{mail.preview}"))
    if named and item.account_id not in named:
        return f"names another AWS account ({', '.join(sorted(named))[:60]})"
    return ""


def kept_aside(mail: InboundMail) -> bool:
    """An update-code mail core.delivery.forwarding kept out of the channels (CONSUMED) whose code is still sealed in it."""
    return mail.kind == UPDATE_CODE_KIND and mail.state is MailState.CONSUMED and bool(mail.secret)


def tally(items: Iterable[Adoption]) -> dict[Step, int]:
    counts = {step: 0 for step in Step}
    for item in items:
        counts[item.step] += 1
    return counts


def _minutes(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min"
