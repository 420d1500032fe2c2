"""After forwarding: a message whose every record was posted is marked read and moved to the done folder; one that
could not be routed (unmapped, quarantined) stays in the Inbox and is reported. Driven by the forwarder's
`settled` hook, and by a periodic sweep that also finishes what a crash interrupted."""
from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from core.errors import MailSourceUnavailable, NotFound
from core.addresses.inventory import LEFT_FLAG
from core.model import InboundMail, MailState
from core.ports import Clock, Store
from mail.graph.api import GraphMail
from mail.graph.ingest import MOVE_FLAG

logger = logging.getLogger(__name__)

BATCH = 200
REMEMBERED = 10_000
PARALLEL = 8
WAITING = frozenset({MailState.RECEIVED, MailState.FAILED})


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _refused(status: int | None) -> bool:
    """A client error that asking again will not change (not 404, throttling, timeouts, conflicts, dependencies)."""
    return status is not None and 400 <= status < 500 and status not in (404, 408, 409, 424, 429)


@dataclass
class Mover:
    store: Store
    clock: Clock
    graph: GraphMail
    move_to: str  # folder display name; empty: only mark read
    _folders: dict[str, str] = field(default_factory=dict)
    _final: OrderedDict[str, MailState] = field(default_factory=OrderedDict)  # mail key -> state, told by `settled`

    def settled(self, mail: InboundMail) -> None:
        """The forwarder's word that a mail reached its final state saves reading it back from the store."""
        self._final[mail.key] = mail.state
        while len(self._final) > REMEMBERED:
            self._final.popitem(last=False)

    async def run_once(self) -> int:
        """Settle what can be settled now; returns how many messages were moved or left."""
        done, seen = 0, set()
        while True:
            notes = [n for n in await self.store.flags_with_prefix(MOVE_FLAG, BATCH) if n[0] not in seen]
            if not notes:
                return done
            seen.update(name for name, _ in notes)
            ready: dict[str, list[tuple[str, str]]] = {}  # mailbox -> (note name, message id) all forwarded
            read = [(name, json.loads(value)) for name, value in notes]
            states = await self._states([key for _, note in read for key in note["keys"]])
            for name, note in read:
                mailbox, _, message_id = name[len(MOVE_FLAG):].partition(":")
                verdict = self._verdict(note, states)
                if verdict == "forwarded":
                    ready.setdefault(mailbox, []).append((name, message_id))
                elif verdict == "left":
                    await self._leave(name, mailbox, message_id, note)
                    done += 1
            gate = asyncio.Semaphore(PARALLEL)

            async def settle(mailbox: str, items: list[tuple[str, str]]) -> int:
                async with gate:
                    return await self._mark_and_move(mailbox, items)
            done += sum(await asyncio.gather(*(settle(m, items) for m, items in ready.items())))
            if len(notes) < BATCH:
                return done

    async def _states(self, keys: list[str]) -> dict[str, MailState]:
        """The state of each key: from the forwarder's word, else read from the store, all in one call."""
        states = {key: self._final[key] for key in keys if key in self._final}
        unknown = [key for key in keys if key not in states]
        if unknown:
            states.update(await self.store.mail_states(unknown))
        return states

    @staticmethod
    def _verdict(note: dict, states: dict[str, MailState]) -> str:
        """'waiting' (not recorded yet, or still to be posted), 'forwarded' (every record), or 'left'."""
        found = [states.get(key) for key in note["keys"]]
        if any(state is None or state in WAITING for state in found):
            return "waiting"
        return "forwarded" if all(state is MailState.FORWARDED for state in found) else "left"

    async def _mark_and_move(self, mailbox: str, items: list[tuple[str, str]]) -> int:
        """Mark read and move, a batch at a time; a note goes once its message is moved, or gone from the mailbox."""
        try:
            folder = await self._folder(mailbox) if self.move_to else None
            outcome = await self.graph.mark_read_and_move(mailbox, [message_id for _, message_id in items], folder)
        except (MailSourceUnavailable, NotFound) as error:
            logger.warning("could not move forwarded messages; will retry", extra={"mailbox": mailbox,
                                                                                   "error": str(error)})
            return 0
        done: list[str] = []
        for name, message_id in items:
            read, moved = outcome.get(message_id, (0, None))
            if read == 404:
                logger.info("message gone from the mailbox before it was moved", extra={"mailbox": mailbox})
            elif moved == 404:  # read but not moved: the folder is gone; look it up (or make it) again next time
                self._folders.pop(mailbox, None)
                continue
            elif _refused(read) or _refused(moved):  # Graph will not do it, however often we ask
                logger.warning("Graph refused to mark or move a forwarded message; it stays where it is",
                               extra={"mailbox": mailbox, "read_status": read, "move_status": moved})
            elif not (_ok(read) and (moved is None or _ok(moved))):
                continue  # throttled or failing: the next round tries again
            done.append(name)
        await self.store.delete_flags(done)  # one call for the batch: the messages are where they belong now
        return len(done)

    async def _folder(self, mailbox: str) -> str:
        if mailbox not in self._folders:
            self._folders[mailbox] = await self.graph.folder_id(mailbox, self.move_to)
        return self._folders[mailbox]

    async def _leave(self, name: str, mailbox: str, message_id: str, note: dict) -> None:
        mails = [await self.store.get_mail(key) for key in note["keys"]]
        states = sorted({m.state.value for m in mails if m})
        await self.store.set_flag(f"{LEFT_FLAG}{mailbox}:{message_id}",
                                  json.dumps({"link": note.get("link", ""), "states": states,
                                              "at": self.clock().isoformat()}))
        await self.store.delete_flag(name)
        logger.warning("mail left in the mailbox for an admin", extra={"mailbox": mailbox, "states": states,
                                                                      "web_link": note.get("link", "")})
