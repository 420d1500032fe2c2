"""What the root access parts need in Teams: their services for the handlers, and the cards they post on their own:
each root task's card in the admin conversation (updated in place as it moves on), its outcome in the conversations
that asked and that own the account, and the posture when a scheduled audit finds it changed."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from cards.root_posture import posture_card
from cards.root_tasks import summary, task_card
from core.intake.reveal import Messenger
from core.model import Owner
from core.ports import Poster, PostFailed, Store
from core.root_access.book import RootBook
from core.root_access.model import Task
from core.root_access.posture import Auditor, Report
from core.root_access.tasks import TaskDesk

logger = logging.getLogger(__name__)


@dataclass
class RootServices:
    desk: TaskDesk
    auditor: Auditor
    region: str = "us-east-1"  # a queue named without its URL is in this region
    recovery_minutes: int = 60
    _audit: asyncio.Task | None = field(default=None, init=False, repr=False)

    @property
    def book(self) -> RootBook:
        return self.desk.book

    def audit(self) -> asyncio.Task:
        """The audit under way, or a new one: admins pressing at once share one audit."""
        if self._audit is None or self._audit.done():
            self._audit = asyncio.create_task(self.auditor.run(), name="root-audit-now")
        return self._audit

    async def close(self) -> None:
        if self._audit is not None:
            self._audit.cancel()
            await asyncio.gather(self._audit, return_exceptions=True)


class RootNotices:
    """core.root_access.tasks.Notify, and the scheduled audit's news hook."""

    def __init__(self, store: Store, poster: Poster, messenger: Messenger, admin_conversation: str):
        self.store, self.poster, self.messenger = store, poster, messenger
        self.admin_conversation = admin_conversation
        self.book = RootBook(store)

    async def __call__(self, task: Task, event: str) -> None:
        if event == "requested":
            await self._ask_admins(task)
            if task.owner and task.owner != task.requested_in:  # an admin asked: the owning channel hears of it
                await self._post(task.owner, task)
            return
        latest = await self.book.task(task.id) or task
        task = replace(task, card_where=latest.card_where, card_activity=latest.card_activity)
        if task.card_where and task.card_activity:
            where = await self.store.get_conversation(task.card_where)
            if where is not None:
                try:
                    await self.messenger.update(where, task.card_activity, task_card(task, decide=True), summary(task))
                except PostFailed as failure:
                    logger.warning("could not update a root task card", extra={"task": task.id, "reason": failure.reason})
        if task.final or event == "follow-up":
            for conversation in dict.fromkeys(c for c in (task.requested_in, task.owner) if c and c != task.card_where):
                await self._post(conversation, task)

    async def posture_changed(self, report: Report) -> None:
        admin = await self._admin()
        if admin is not None:
            await self.poster.post(admin, posture_card(report), "AWS root posture changed")

    async def _ask_admins(self, task: Task) -> None:
        admin = await self._admin()
        if admin is None:
            logger.warning("no admin conversation to ask for a root task's approval; an admin runs root task <id>",
                           extra={"task": task.id})
            return
        try:
            activity = await self.poster.post(admin, task_card(task, decide=True), summary(task))
        except PostFailed as failure:
            logger.warning("could not ask the admins to approve a root task", extra={"task": task.id,
                                                                                  "reason": failure.reason})
            return
        latest = await self.book.task(task.id) or task
        await self.book.save(replace(latest, card_where=admin.conversation_id, card_activity=activity))

    async def _post(self, conversation_id: str, task: Task) -> None:
        where = await self.store.get_conversation(conversation_id)
        if where is None:
            return
        try:
            await self.poster.post(where, task_card(task), summary(task))
        except PostFailed as failure:
            logger.warning("could not post a root task's news", extra={"task": task.id, "reason": failure.reason})

    async def _admin(self) -> Owner | None:
        return await self.store.get_conversation(self.admin_conversation) if self.admin_conversation else None
