"""After forwarding: a message whose every record was posted is marked read and moved to the done folder; one that
could not be routed (unmapped, quarantined) stays in the Inbox and is reported. Driven by the forwarder's
`settled` hook, and by a periodic sweep that also finishes what a crash interrupted."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from core.errors import MailSourceUnavailable, NotFound
from core.inventory import LEFT_FLAG
from core.model import MailState
from core.ports import Clock, Store
from mail.graph_api import GraphMail
from mail.graph_ingest import MOVE_FLAG

logger = logging.getLogger(__name__)

BATCH = 200
PARALLEL = 8
WAITING = frozenset({MailState.RECEIVED, MailState.FAILED})


@dataclass
class Mover:
    store: Store
    clock: Clock
    graph: GraphMail
    move_to: str  # folder display name; empty: only mark read
    _folders: dict[str, str] = field(default_factory=dict)

    async def run_once(self) -> int:
        """Settle what can be settled now; returns how many messages were moved or left."""
        done, seen = 0, set()
        while True:
            notes = [n for n in await self.store.flags_with_prefix(MOVE_FLAG, BATCH) if n[0] not in seen]
            if not notes:
                return done
            seen.update(name for name, _ in notes)
            gate = asyncio.Semaphore(PARALLEL)

            async def one(name: str, value: str) -> bool:
                async with gate:
                    return await self._settle(name, value)
            done += sum(await asyncio.gather(*(one(n, v) for n, v in notes)))
            if len(notes) < BATCH:
                return done

    async def _settle(self, name: str, value: str) -> bool:
        mailbox, _, message_id = name[len(MOVE_FLAG):].partition(":")
        note = json.loads(value)
        mails = [await self.store.get_mail(key) for key in note["keys"]]
        if any(m is None or m.state in WAITING for m in mails):
            return False  # not recorded yet, or still to be posted
        try:
            if all(m.state is MailState.FORWARDED for m in mails):
                await self._mark_and_move(mailbox, message_id)
            else:
                await self._leave(mailbox, message_id, note, {m.state.value for m in mails})
        except NotFound:
            logger.info("message gone from the mailbox before it was moved", extra={"mailbox": mailbox})
        except MailSourceUnavailable as error:
            logger.warning("could not move a forwarded message; will retry", extra={"mailbox": mailbox,
                                                                                    "error": str(error)})
            return False
        await self.store.delete_flag(name)
        return True

    async def _mark_and_move(self, mailbox: str, message_id: str) -> None:
        await self.graph.mark_read(mailbox, message_id)
        if not self.move_to:
            return
        try:
            await self.graph.move(mailbox, message_id, await self._folder(mailbox))
        except NotFound:  # the folder may have been deleted since we looked it up; find or make it again
            self._folders.pop(mailbox, None)
            await self.graph.move(mailbox, message_id, await self._folder(mailbox))

    async def _folder(self, mailbox: str) -> str:
        if mailbox not in self._folders:
            self._folders[mailbox] = await self.graph.folder_id(mailbox, self.move_to)
        return self._folders[mailbox]

    async def _leave(self, mailbox: str, message_id: str, note: dict, states: set[str]) -> None:
        await self.store.set_flag(f"{LEFT_FLAG}{mailbox}:{message_id}",
                                  json.dumps({"link": note.get("link", ""), "states": sorted(states),
                                              "at": self.clock().isoformat()}))
        logger.warning("mail left in the mailbox for an admin", extra={"mailbox": mailbox, "states": sorted(states),
                                                                      "web_link": note.get("link", "")})
