"""One step of one adoption at a time: the calls behind core.adoption.states's transitions, each recorded and audited."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Callable

from core.adoption import states as a
from core.addresses import registry
from core.adoption.book import AdoptBook, Running
from core.addresses.allocation import Allocator
from core.errors import AccountIdTaken, AlreadyLinked, Conflict, InvalidRequest, NotFound, PoolExhausted
from core.model import AddressState, AuditEvent, InboundMail, MailState
from core.ports import Clock, Store
from core.intake.redact import redact
from core.addresses.rules import NewAddressRequest, normalize_address
from core.intake.secrets_box import SecretUnreadable

logger = logging.getLogger(__name__)

ACTOR = "rootmail-adopt"
RECENT = 10  # newest mails of the address looked at for the code


class Steps:
    def __init__(self, store: Store, clock: Clock, api: a.AccountApi, allocator: Allocator,
                 open_code: Callable[[InboundMail], str], book: AdoptBook, policy: a.Policy):
        self.store, self.clock, self.api, self.allocator = store, clock, api, allocator
        self.open_code, self.book, self.policy = open_code, book, policy
        self._wake: dict[str, asyncio.Event] = {}

    def wake(self, address: str) -> None:
        self._wake.setdefault(normalize_address(address), asyncio.Event()).set()

    async def preflight(self, running: Running) -> None:
        """Accounts AWS will not change fail before anything is allocated or asked."""
        try:
            facts = await self.api.organization()
        except a.AccessRefused as refused:
            running.abort(f"stopped: {refused}")
            facts = a.OrgFacts()
        except a.AccountApiError:  # unknown for now: AWS itself refuses what is not eligible
            facts = a.OrgFacts()
        for item in list(running.items.values()):
            if item.final or item.requests:
                continue
            if reason := a.ineligible(item.account_id, item.state, facts) or await self._already_managed(item):
                item = await self._record(running, a.failed(item, self.clock(), reason))
                await self.settle(running, item)

    async def _already_managed(self, item: a.Adoption) -> str:
        linked = await self.store.get_by_account_id(item.account_id)
        if linked is not None and linked.address != item.address:
            return f"already linked to the RootMail address {linked.address}"
        holder = await self.book.claim_account(item.account_id, item.run)
        return f"another adoption run ({holder}) is moving this account" if holder else ""

    async def advance(self, running: Running, item: a.Adoption) -> a.Adoption:
        """Do what is due for the item and return it as recorded afterwards."""
        if running.aborted:
            return await self._record(running, a.failed(item, self.clock(), running.aborted))
        act = a.next_act(item, self.clock(), self.policy)
        if act is a.Act.PAUSE:
            await self._sleep_until(item.not_before)
            return item
        if act is a.Act.ASK:
            changed = await self._ask(running, item)
        elif act is a.Act.LOOK:
            changed = await self._look(running, item)
        elif act is a.Act.TIME_OUT:
            changed = a.timed_out(item, self.clock(), self.policy)
        else:
            changed = await self._recheck(running, item)
        return await self._record(running, changed) if changed != item else changed

    async def _record(self, running: Running, item: a.Adoption) -> a.Adoption:
        await self.book.save(item)
        running.items[item.account_id] = item
        running.dirty.set()
        return item

    # --- asking for the code ----------------------------------------------------------------------------------------
    async def _ask(self, running: Running, item: a.Adoption) -> a.Adoption:
        address, problem = (item.address, "") if item.address else await self._allocate(running, item)
        if problem:
            return a.failed(item, self.clock(), problem)
        item = await self._record(running, a.asking(item, address, self.clock()))
        await self.book.expect_code(item)
        try:
            await self.api.start_update(item.account_id, address)
        except a.Transient as busy:
            return a.paused(item, self.clock(), self.policy, str(busy))
        except a.AccessRefused as refused:
            running.abort(f"stopped: {refused}")
            return a.failed(item, self.clock(), running.aborted)
        except a.AccountApiError as refused:
            return a.failed(item, self.clock(), f"AWS refused to start the change: {refused}")
        await self._audit(item, "adopt-code-requested", {"attempt": item.requests + 1})
        return a.asked(item, self.clock())

    async def _allocate(self, running: Running, item: a.Adoption) -> tuple[str, str]:
        """(address, "") or ("", why not). One address per account, ever: a later run gets the same one back."""
        request = NewAddressRequest(item.account_name, running.run.environment,
                                    f"AWS account {item.account_id}, adopted by RootMail from {item.old_email}"[:500],
                                    None, f"adopt-{item.account_id}", {"rootmail-adopted": item.run[:64]})
        try:
            record = (await self.allocator.allocate(request, running.owner, running.requester)).record
        except PoolExhausted as empty:
            running.abort(f"stopped: {empty}")
            return "", running.aborted
        if record.state is AddressState.RETIRED:
            return "", f"the address an earlier adoption gave it, {record.address}, is retired"
        if record.owner.conversation_id != running.owner.conversation_id:  # an earlier run gave it to another channel
            record = await registry.amend(self.store, self.clock, record.address,
                                          registry.Amendment(owner=running.owner), ACTOR)
        return record.address, ""

    # --- taking the code out of the mail ----------------------------------------------------------------------------
    async def _look(self, running: Running, item: a.Adoption) -> a.Adoption:
        for mail in await self.store.recent_mails(item.address, RECENT):
            if not a.kept_aside(mail):
                continue
            if problem := a.code_problem(mail, item):
                await self._wipe(mail, item, "adopt-code-ignored", problem)
                continue
            try:
                code = self.open_code(mail)
            except SecretUnreadable as unreadable:
                await self._wipe(mail, item, "adopt-code-ignored", str(unreadable))
                return a.failed(item, self.clock(), f"RootMail could not open the code ({unreadable})")
            item = await self._record(running, a.code_taken(item, self.clock()))
            await self._wipe(mail, item, "adopt-code-consumed", "")
            return await self._accept(running, item, code)
        await self._wait_for_mail(item)
        return item

    async def _wipe(self, mail: InboundMail, item: a.Adoption, action: str, reason: str) -> None:
        """The code is RootMail's alone: its sealed copy goes at once, and the audit says what became of it."""
        for _ in range(3):
            try:
                await self.store.update_mail(replace(mail, secret="", state=MailState.CONSUMED))
                break
            except Conflict:
                mail = await self.store.get_mail(mail.key) or mail
            except NotFound:
                break
        detail = {"mail": mail.key} | ({"reason": reason[:300]} if reason else {})
        await self._audit(item, action, detail)

    async def _wait_for_mail(self, item: a.Adoption) -> None:
        wake = self._wake.setdefault(item.address, asyncio.Event())
        left = ((item.asked_at or self.clock()) + self.policy.code_wait - self.clock()).total_seconds()
        try:
            await asyncio.wait_for(wake.wait(), max(min(left, self.policy.poll.total_seconds()), 0.0))
        except asyncio.TimeoutError:
            pass
        wake.clear()

    # --- accepting it -----------------------------------------------------------------------------------------------
    async def _accept(self, running: Running, item: a.Adoption, code: str) -> a.Adoption:
        while True:
            try:
                await self.api.accept_update(item.account_id, item.address, code)
                return await self._adopted(item)
            except a.CodeRejected as rejected:
                why = redact(str(rejected))[:200]
                await self._audit(item, "adopt-code-rejected", {"reason": why})
                return a.rejected(item, self.clock(), self.policy, why)
            except a.Transient as busy:
                item = a.paused(item, self.clock(), self.policy, str(busy))
                if item.final:
                    return item
                item = await self._record(running, item)
                await self._sleep_until(item.not_before)
            except a.AccessRefused as refused:
                running.abort(f"stopped: {refused}")
                return a.failed(item, self.clock(), running.aborted)
            except a.AccountApiError as refused:
                return a.failed(item, self.clock(), f"AWS refused the code: {redact(str(refused))[:200]}")

    async def _recheck(self, running: Running, item: a.Adoption) -> a.Adoption:
        """ACCEPTING after a restart: the code is gone; AWS says whether the change went through."""
        try:
            moved = normalize_address(await self.api.primary_email(item.account_id)) == item.address
        except a.Transient as busy:
            return a.paused(item, self.clock(), self.policy, str(busy))
        except a.AccountApiError as refused:
            return a.failed(item, self.clock(), f"AWS could not say whether the change went through: {refused}")
        if moved:
            return await self._adopted(item)
        return a.rejected(item, self.clock(), self.policy, "RootMail stopped before AWS took the code")

    async def _adopted(self, item: a.Adoption) -> a.Adoption:
        note = ""
        try:
            await registry.amend(self.store, self.clock, item.address,
                                 registry.Amendment(account_id=item.account_id), ACTOR)
        except (AccountIdTaken, AlreadyLinked, InvalidRequest, Conflict, NotFound) as problem:
            note = f"moved, but RootMail could not link the account id: {problem}"
            logger.warning("adopted account not linked", extra={"account_id": item.account_id, "reason": str(problem)})
        await self._audit(item, "adopt-done", {"from": item.old_email[:120]})
        return a.accepted(item, self.clock(), note)

    # --- the end of one account -------------------------------------------------------------------------------------
    async def settle(self, running: Running, item: a.Adoption) -> None:
        if item.address:
            await self.book.stop_expecting(item.address)
            self._wake.pop(item.address, None)
        await self.book.release_account(item.account_id, item.run)
        if item.step is a.Step.FAILED:
            await self._audit(item, "adopt-failed", {"reason": item.reason[:300]})

    async def _audit(self, item: a.Adoption, action: str, detail: dict) -> None:
        subject = item.address or f"aws-account:{item.account_id}"
        await self.store.append_audit(AuditEvent(self.clock(), ACTOR, action, subject, {
            "account_id": item.account_id, "run": item.run, **detail}))

    async def _sleep_until(self, moment) -> None:
        """Sleep by the injected clock, in short real naps, so a clock moved by a test is noticed."""
        if moment is None:
            return
        while (left := (moment - self.clock()).total_seconds()) > 0:
            await asyncio.sleep(min(left, self.policy.poll.total_seconds()))
