"""Which Entra user each configured shared mailbox is. Graph finds a user by object id or userPrincipalName only, and
a shared mailbox's address is often not its UPN; so each mailbox is resolved once (by object id, UPN, primary SMTP
address or any SMTP proxy address) to its object id, which every later request uses. A mailbox that cannot be
resolved is reported (log, /readyz, the admin conversation) and asked about again later, never silently skipped.

`resolve` is one lookup with a plain answer (Resolved, or Unresolved with the reason); `MailboxDirectory` keeps the
answers for the configured mailboxes and can be asked to try the unresolved ones again at any time."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from core.errors import MailSourceUnavailable, NotFound
from core.model import Mailbox
from mail.graph.api import GraphMail
from mail.graph.client import GraphClient

logger = logging.getLogger(__name__)

GATE = "directory"  # the client's concurrency gate for directory calls (mailbox calls have one per mailbox)
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
FIELDS = ["id", "userPrincipalName", "mail", "proxyAddresses"]
NOT_FOUND = ("no user in the tenant has it as object id, user principal name, primary or proxy SMTP address: check "
             "the pool file address (a shared mailbox in Exchange Online), or set its graph_id to the mailbox's "
             "object id or user principal name")


@dataclass(frozen=True)
class Resolved:
    mailbox: str  # as configured
    object_id: str
    upn: str
    found_by: str  # "object id", "user principal name", "primary SMTP address" or "SMTP proxy address"


@dataclass(frozen=True)
class Unresolved:
    mailbox: str
    reason: str
    answered: bool  # True: Graph answered that there is no such user; False: Graph could not be asked


Resolution = Resolved | Unresolved


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _get(client: GraphClient, key: str) -> dict[str, Any] | None:
    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=FIELDS)
    builder = client.sdk.users.by_user_id(key)
    try:
        return await client.json(GATE, "looking up a mailbox", lambda: builder.to_get_request_information(
            RequestConfiguration(query_parameters=query)))
    except NotFound:
        return None


async def _where(client: GraphClient, condition: str) -> list[dict[str, Any]]:
    """Users matching a one-clause filter: `mail eq` and `proxyAddresses/any(... eq ...)` are plain filters that
    Graph runs without the advanced-query headers (user.md lists eq for both)."""
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(filter=condition, select=FIELDS, top=2)
    found = await client.json(GATE, "looking up a mailbox", lambda: client.sdk.users.to_get_request_information(
        RequestConfiguration(query_parameters=query)))
    return list(found.get("value") or [])


async def resolve(client: GraphClient, mailbox: str, key: str = "") -> Resolution:
    """The Entra user a configured mailbox is. `key` (the pool file's graph_id) wins over the address."""
    key = (key or mailbox).strip()
    try:
        if GUID.fullmatch(key):
            user = await _get(client, key)
            return _resolved(mailbox, user, "object id") if user else Unresolved(
                mailbox, f"no user has the object id {key}", True)
        user = await _get(client, key)
        if user:
            return _resolved(mailbox, user, "user principal name")
        # Exchange keeps the primary address as "SMTP:" and the others as "smtp:"; the docs do not say whether the
        # directory compares these without regard to case, so the primary one is asked for by `mail`.
        for found_by, condition in (("primary SMTP address", f"mail eq {_literal(key)}"),
                                    ("SMTP proxy address", f"proxyAddresses/any(p:p eq {_literal('smtp:' + key)})")):
            users = await _where(client, condition)
            if len(users) > 1:
                return Unresolved(mailbox, f"{len(users)} users have the address {key}; set the mailbox's graph_id "
                                           "to the right one's object id", True)
            if users:
                return _resolved(mailbox, users[0], found_by)
        return Unresolved(mailbox, NOT_FOUND, True)
    except MailSourceUnavailable as error:
        return Unresolved(mailbox, f"Microsoft Graph could not be asked: {error}", False)


def _resolved(mailbox: str, user: dict[str, Any], found_by: str) -> Resolved:
    return Resolved(mailbox, str(user["id"]), str(user.get("userPrincipalName") or ""), found_by)


Report = Callable[[list[Unresolved]], Awaitable[bool]]  # True: the admins were told


@dataclass
class MailboxDirectory:
    """The configured mailboxes and what each resolved to; resolved ids go to GraphMail, which uses them in URLs."""

    graph: GraphMail
    mailboxes: list[Mailbox]
    on_unresolved: Report | None = None  # told the unresolved mailboxes whenever that list changes, until it hears
    unresolved: dict[str, Unresolved] = field(default_factory=dict)
    _reported: frozenset[tuple[str, str]] = frozenset()

    @property
    def problems(self) -> dict[str, str]:
        return {m: u.reason for m, u in self.unresolved.items()}

    async def resolve_all(self) -> list[Resolution]:
        """Resolve every mailbox not resolved yet; each answer, in pool order. Safe to call again at any time."""
        answers: list[Resolution] = []
        for mailbox in self.mailboxes:
            if mailbox.address in self.graph.user_ids:
                continue
            answer = await resolve(self.graph.client, mailbox.address, mailbox.graph_id)
            answers.append(answer)
            if isinstance(answer, Resolved):
                self.graph.user_ids[mailbox.address] = answer.object_id
                self.unresolved.pop(mailbox.address, None)
                logger.info("mailbox resolved", extra={"mailbox": mailbox.address, "object_id": answer.object_id,
                                                       "found_by": answer.found_by})
            else:
                self.unresolved[mailbox.address] = answer
                logger.error("mailbox not found in Microsoft Entra ID; RootMail cannot read it",
                             extra={"mailbox": mailbox.address, "reason": answer.reason})
        await self._report()
        return answers

    async def _report(self) -> None:
        now = frozenset((m, u.reason) for m, u in self.unresolved.items())
        if now == self._reported:
            return
        told = True
        if self.unresolved and self.on_unresolved:
            try:
                told = await self.on_unresolved(list(self.unresolved.values()))
            except Exception:  # the log line above already says it; the next lookup tries again
                logger.exception("could not tell admins about unresolved mailboxes")
                told = False
        if told:
            self._reported = now
