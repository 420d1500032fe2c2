"""The interfaces RootMail's edges implement: the store, the clock, ids and the channel poster."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from core.errors import Conflict, NotFound
from core.model import AuditEvent, InboundMail, Mailbox, MailState, Owner, Page, RootAddress


class Store(Protocol):
    """Everything RootMail keeps. Every implementation passes tests/contract.

    Missing records: getters return None; updates raise NotFound.
    Uniqueness is the store's job, so it holds for concurrent writers and several app instances.
    """

    async def ping(self) -> None:
        """Raise StoreUnavailable if the store cannot answer."""

    # --- mailbox pool -------------------------------------------------------------------
    async def save_mailbox(self, mailbox: Mailbox) -> None:
        """Create or replace the mailbox record."""

    async def mailboxes(self) -> list[Mailbox]: ...

    async def add_aliases(self, mailbox: str, aliases: list[str]) -> int:
        """Add aliases as free; aliases already known (free, claimed or used) are left alone.
        Returns how many were new."""

    async def claim_alias(self, mailbox: str) -> str | None:
        """Atomically take one free alias of the mailbox, or None when none is left.
        Two callers never get the same alias."""

    async def release_alias(self, alias: str) -> None:
        """Give back a claimed alias that no address record was created for."""

    async def free_alias_count(self, mailbox: str) -> int: ...

    async def alias_states(self, mailbox: str) -> dict[str, str]:
        """Every alias the pool holds for the mailbox, with its state: 'free', or 'claimed' (handed out)."""

    async def remove_free_aliases(self, mailbox: str, aliases: list[str]) -> int:
        """Take the given aliases out of the pool if they are still free (they left Exchange); claimed ones
        stay. Returns how many were removed. A removed alias that is added again later is free again."""

    # --- root addresses -----------------------------------------------------------------
    async def create_address(self, record: RootAddress, event: AuditEvent | None = None) -> RootAddress:
        """Store a new address. Raises AddressTaken, AccountIdTaken (account id linked elsewhere)
        or DuplicateRequest (request_id already allocated). Returns the record with its etag.
        `event` (the allocation's audit event, subject = the address) is stored with the record: both or
        neither, and `audit_for` returns it like an appended one."""

    async def get_address(self, address: str) -> RootAddress | None:
        """Case-insensitive lookup by address."""

    async def get_by_account_id(self, account_id: str) -> RootAddress | None: ...

    async def get_by_request_id(self, request_id: str) -> RootAddress | None: ...

    async def search_addresses(self, fragment: str, limit: int) -> list[RootAddress]:
        """Addresses whose account name or address contains the fragment (case-insensitive)."""

    async def list_by_owner(self, conversation_id: str, page_size: int,
                            continuation: str | None = None) -> Page:
        """Addresses owned by the conversation, oldest first, paged by an opaque token."""

    async def list_addresses(self, page_size: int, continuation: str | None = None,
                             requester: str | None = None) -> Page:
        """Every address, oldest first, paged by an opaque token; with `requester`, only those whose
        `RootAddress.requester_key` equals it."""

    async def update_address(self, record: RootAddress) -> RootAddress:
        """Replace the record if its etag still matches (else Conflict); AccountIdTaken if the
        new account id is linked elsewhere. Returns the record with its new etag."""

    async def count_addresses(self) -> int: ...

    # --- inbound mail -------------------------------------------------------------------
    async def record_mail(self, mail: InboundMail) -> bool:
        """Persist a received mail; False (and nothing changed) if its key is already known."""

    async def get_mail(self, key: str) -> InboundMail | None: ...

    async def claim_due_mails(self, now: datetime, owner: str, lease_until: datetime,
                              limit: int) -> list[InboundMail]:
        """Lease up to `limit` mails waiting to be posted (received or failed, next attempt due, no live lease),
        the most urgent first: critical, then high severity, then the rest; oldest due first within each.
        A leased mail is handed to no one, its holder included, until the lease expires or is released."""

    async def release_mail_leases(self, owner: str) -> int:
        """End the live leases `owner` holds on mails still waiting (an instance starting again under the same
        name lets go of what its previous run held, instead of waiting for those leases to expire).
        Returns how many were released."""

    async def update_mail(self, mail: InboundMail) -> InboundMail:
        """Replace the mail if its etag still matches, else Conflict."""

    async def update_mails(self, mails: list[InboundMail]) -> list[InboundMail | Conflict | NotFound]:
        """update_mail for each of `mails` in one call (a digest's marks or outcomes): one outcome per mail, in order,
        the mail as written or the Conflict / NotFound update_mail would have raised for it, so one stale mail never
        fails its neighbours. StoreUnavailable is raised as by update_mail; then any of the mails may or may not have
        been written."""

    async def recent_mails(self, address: str, limit: int) -> list[InboundMail]:
        """Newest first."""

    async def count_mails(self, state: str | None = None) -> int: ...

    async def expired_secrets(self, now: datetime, limit: int) -> list[InboundMail]:
        """Up to `limit` mails still holding a sealed secret whose reveal window closed at or before `now`,
        the longest expired first."""

    # --- conversations, audit and small settings ----------------------------------------
    async def save_conversation(self, owner: Owner) -> None:
        """Remember where a conversation is, so proactive posts survive restarts."""

    async def get_conversation(self, conversation_id: str) -> Owner | None: ...

    async def list_conversations(self, limit: int) -> list[Owner]:
        """At most `limit` remembered conversations, ordered by conversation id (to offer them as owners)."""

    async def append_audit(self, event: AuditEvent) -> None: ...

    async def audit_for(self, subject: str, limit: int) -> list[AuditEvent]:
        """Newest first."""

    async def get_flag(self, name: str) -> str | None: ...

    async def set_flag(self, name: str, value: str) -> None: ...

    async def add_flag(self, name: str, value: str) -> bool:
        """Set the flag only if it is not set; True if this call set it (one winner among racers)."""

    async def delete_flag(self, name: str) -> None: ...

    async def flags_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        """(name, value) of at most `limit` flags whose name starts with `prefix`, ordered by name."""

    # --- leases: one holder at a time across app instances --------------------------------
    async def acquire_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Hold the named lease until `until`. True if it was free, expired at `now`, or already held by
        `owner` (then it is extended to `until`); False if someone else holds it. One winner among racers."""

    async def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up if `owner` still holds it; a lease held by someone else is left alone."""

    # --- batches: what the Graph path does per notification or per move, in one go -----------------
    async def record_mails(self, mails: list[InboundMail], flags: dict[str, str] | None = None) -> list[bool]:
        """Set the flags (as set_flag) and persist the mails (as record_mail), together; for each mail in order,
        True if it was new. SQLite: one transaction, all or nothing. Cosmos DB: the flags first, then the mails;
        every item is tried, and if any failed StoreUnavailable is raised once all were tried (what was written
        stays: recording again is harmless, a known key is only reported as not new)."""

    async def mail_states(self, keys: list[str]) -> dict[str, MailState]:
        """The state of each known mail among the keys, by key; unknown keys are left out. Only the state is read:
        the mover asks after every waiting mail each round, and decoding whole records cost more than the rest."""

    async def delete_flags(self, names: list[str]) -> None:
        """Delete the flags (as delete_flag; unknown names are fine). Every name is tried; StoreUnavailable if any
        could not be deleted, once the others were."""

    async def get_addresses(self, addresses: list[str]) -> dict[str, RootAddress]:
        """The known addresses among these (as get_address, case-insensitive), by their lower-case form; unknown
        ones are left out."""


class Clock(Protocol):
    def __call__(self) -> datetime:
        """Now, timezone-aware UTC."""


class Poster(Protocol):
    """Posts a card into a conversation without a user turn (proactive message)."""

    async def post(self, owner: Owner, card: dict[str, Any], summary: str, urgent: bool = False) -> str:
        """Return the posted activity id. Raise PostFailed on failure. `urgent`: critical mail, which the channel
        must not miss (the Teams edge marks it important and mentions who should act)."""


class PostFailed(Exception):
    """A proactive post did not go through; `retry_after` is the server's hint in seconds. `uncertain`: no answer
    came (a timeout), so the post may have reached the channel all the same. `throttled`: the server said too many
    requests (pause, with or without a hint). `unreachable`: the person cannot be written to at all (the app is not
    installed for them, or they blocked it), which only they or an admin can change."""

    def __init__(self, reason: str, retry_after: float | None = None, permanent: bool = False,
                 uncertain: bool = False, throttled: bool = False, unreachable: bool = False):
        self.reason, self.retry_after, self.permanent, self.uncertain = reason, retry_after, permanent, uncertain
        self.throttled, self.unreachable = throttled, unreachable
        super().__init__(reason)
