"""One Graph message into the pipeline: recipients resolved to RootMail addresses, a note to move it once
forwarded, then core.intake.ingest.ingest with the app's inspector (the faithful text goes in; ingest redacts what it
stores). The note and the records are written before the source moves on.

Junk Email: Exchange Online Protection sometimes files real AWS mail there. Such mail is taken in only when its
sender verifies as AWS (the same DKIM and DMARC check every mail gets) and then goes the usual way: forwarded,
marked read and moved out of Junk Email. Anything else there is left alone and not reported one by one: Junk Email
is where the spam sent to the aliases goes, and a card for each would bury the admins."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from core.intake.ingest import dedupe_key, ingest_many
from core.intake.inspection import Inspector
from core.model import InboundMail
from core.ports import Clock, Store
from core.addresses.rules import normalize_address
from mail.graph.inventory import Inventory
from mail.graph.message import parsed_mail, recipient_candidates

logger = logging.getLogger(__name__)

MOVE_FLAG = "graph-move:"  # + mailbox + ":" + message id -> {"keys": [...], "link": webLink}


def move_flag(mailbox: str, message_id: str) -> str:
    return f"{MOVE_FLAG}{mailbox}:{message_id}"


@dataclass(frozen=True)
class Handled:
    keys: tuple[str, ...]
    new: tuple[InboundMail, ...]
    mapped: bool  # False: no recipient is a RootMail address; the records go to the admins as unknown


@dataclass
class GraphIngest:
    store: Store
    clock: Clock
    inventory: Inventory
    on_new_mail: Callable[[], object] = lambda: None
    inspector: Inspector | None = None  # without one every mail is quarantined as unverified (see mail/__init__)

    async def handle(self, mailbox: str, message: dict[str, Any], junk: bool = False) -> Handled | None:
        """None for a delta entry that only says a message left the folder, and for junk mail not from AWS."""
        return (await self.handle_many(mailbox, [message], junk))[0]

    async def handle_many(self, mailbox: str, messages: list[dict[str, Any]],
                          junk: bool = False) -> list[Handled | None]:
        """`handle` for the messages of one fetch: their move notes and records go to the store in one call
        (one transaction on SQLite) instead of two per message."""
        taken: list[tuple[int, dict[str, Any], Any, list[str], bool]] = []
        for at, message in enumerate(messages):
            if "@removed" in message or not message.get("id"):
                continue
            parsed = parsed_mail(message)
            if junk and not self._from_aws(parsed):
                logger.info("junk mail not from AWS left in Junk Email", extra={"mailbox": mailbox})
                continue
            if junk:
                logger.warning("AWS mail found in Junk Email; forwarding it (an Exchange Online allow rule for AWS's "
                               "sender domains keeps it out of Junk Email)", extra={"mailbox": mailbox})
            taken.append((at, message, parsed, recipient_candidates(message), False))
        # the candidates of every message looked up in one store call, then each message resolved from them
        known = set(await self.store.get_addresses([c for *_, candidates, _ in taken for c in candidates]))
        taken = [(at, message, parsed, *self._resolved(mailbox, candidates, known))
                 for at, message, parsed, candidates, _ in taken]
        results: list[Handled | None] = [None] * len(messages)
        if not taken:
            return results
        keys = [tuple(dedupe_key(parsed.message_id, r) for r in recipients) for _, _, parsed, recipients, _ in taken]
        notes = {move_flag(mailbox, message["id"]): json.dumps({"keys": k, "link": str(message.get("webLink") or "")})
                 for k, (_, message, *_) in zip(keys, taken)}
        new = await ingest_many(self.store, self.clock, [(parsed, list(recipients))
                                                         for _, _, parsed, recipients, _ in taken],
                                self.inspector, notes)
        if any(new):
            try:
                self.on_new_mail()
            except Exception:  # the mail is stored; the forwarder's idle poll picks it up
                logger.exception("on_new_mail callback failed")
        for k, fresh, (at, _, _, recipients, mapped) in zip(keys, new, taken):
            if not mapped:
                logger.info("mail for no RootMail address", extra={"mailbox": mailbox, "recipients": len(recipients)})
            results[at] = Handled(k, tuple(fresh), mapped)
        return results

    def _from_aws(self, parsed) -> bool:
        try:
            return self.inspector is not None and self.inspector.inspect(parsed).verdict.verified
        except Exception:  # a rule bug: keep the junk where it is rather than post it
            logger.exception("inspecting a junk mail failed")
            return False

    async def resolve(self, mailbox: str, candidates: list[str]) -> tuple[list[str], bool]:
        """RootMail addresses among the candidates; failing that, the first address of a RootMail mailbox (an alias
        not handed out yet), failing that the mailbox itself: the mail is recorded and reaches the admins."""
        return self._resolved(mailbox, candidates, set(await self.store.get_addresses(candidates)))

    def _resolved(self, mailbox: str, candidates: list[str], known: set[str]) -> tuple[list[str], bool]:
        candidates = list(dict.fromkeys(normalize_address(c) for c in candidates))
        if found := [c for c in candidates if c in known]:
            return found, True
        ours = [c for c in candidates if self.inventory.mailbox_of(c)]
        return ([ours[0]] if ours else [normalize_address(mailbox)]), False
