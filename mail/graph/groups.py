"""Entra group membership from Microsoft Graph (core.addresses.access.GroupDirectory): who is in the admin and requester groups.

One call, `POST /users/{id}/checkMemberGroups`, answers transitively (nested groups count) for up to 20 groups, so
both configured groups are asked at once. Needs the application permissions User.Read.All and GroupMember.Read.All.
Answers are kept for a few minutes: a command asks on every turn, and membership changes are not that urgent. When
Graph cannot answer, the person counts as not a member (fail closed) and nothing is kept, so the next turn asks again.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Callable

from msgraph.generated.users.item.check_member_groups.check_member_groups_post_request_body import (
    CheckMemberGroupsPostRequestBody)

from core.errors import NotFound, RootMailError
from core.model import Person
from mail.graph.client import GraphClient

logger = logging.getLogger(__name__)

GATE = "directory"  # the client's concurrency gate for directory calls (mailbox calls have one per mailbox)
MOST_GROUPS = 20  # checkMemberGroups takes at most 20 group ids


class GraphGroups:
    def __init__(self, client: Callable[[], GraphClient | None], groups: tuple[str, ...], *,
                 keep_seconds: float = 300.0, most_people: int = 10_000, now: Callable[[], float] = time.monotonic):
        """`client` gives the app's Graph client once the Graph source has opened it (None before); `groups` are
        the group ids RootMail asks about (the admin and requester groups)."""
        self._client, self._now = client, now
        self._groups = tuple(dict.fromkeys(g.lower() for g in groups if g))[:MOST_GROUPS]
        self._keep, self._most = keep_seconds, most_people
        self._known: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()  # object id -> (when, groups)

    async def is_member(self, group_id: str, person: Person) -> bool:
        object_id = person.aad_object_id.lower()
        if not object_id:
            return False
        groups = await self._groups_of(object_id)
        return group_id.lower() in groups

    async def _groups_of(self, object_id: str) -> frozenset[str]:
        kept = self._known.get(object_id)
        if kept and self._now() - kept[0] < self._keep:
            return kept[1]
        client = self._client()
        if client is None:
            logger.warning("group membership asked before Microsoft Graph is connected; treated as not a member")
            return frozenset()
        try:
            found = await self._ask(client, object_id)
        except NotFound:  # not a user of this tenant (a guest's home id, a deleted user)
            found = frozenset()
        except RootMailError as failure:
            logger.warning("could not read group membership from Microsoft Graph; treated as not a member (needs "
                           "User.Read.All and GroupMember.Read.All)", extra={"reason": str(failure)})
            return frozenset()
        self._known[object_id] = (self._now(), found)
        self._known.move_to_end(object_id)
        while len(self._known) > self._most:
            self._known.popitem(last=False)
        return found

    async def _ask(self, client: GraphClient, object_id: str) -> frozenset[str]:
        body = CheckMemberGroupsPostRequestBody(group_ids=list(self._groups))
        answer = await client.json(GATE, "checking group membership", lambda: client.sdk.users.by_user_id(
            object_id).check_member_groups.to_post_request_information(body))
        return frozenset(str(g).lower() for g in answer.get("value") or [])
