"""What the fake Graph keeps: mailboxes with proxy addresses, folders, messages and a change log for delta; and
the shape of a request and an error on its wire."""
from __future__ import annotations

import base64
import html
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Callable
from urllib.parse import quote

from aiohttp import web

_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a\s[^>]*?href=[\"']([^\"']*)[\"'][^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)


def as_text(markup: str) -> str:
    """Roughly what Exchange returns for Prefer: outlook.body-content-type="text": tags gone, links as text<url>."""
    linked = _ANCHOR.sub(lambda m: f"{m[2]}<{m[1]}>", markup)
    return html.unescape(_TAG.sub(lambda m: m[0] if m[0].startswith("<http") else "", linked))


@dataclass(frozen=True)
class Call:
    """One request to the fake, sent alone or inside a $batch."""

    method: str
    path: str  # /v1.0/...
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any

    @property
    def tail(self) -> str:
        return self.path.removeprefix("/v1.0/")


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "innerError": {
        "request-id": str(uuid.uuid4()), "date": iso(datetime.now(timezone.utc))}}}, status=status, headers=headers)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _graph_id(prefix: str) -> str:
    """Exchange ids are long base64url strings; immutable ones stay the same when a message moves."""
    return prefix + base64.urlsafe_b64encode(uuid.uuid4().bytes * 3).decode().rstrip("=")


@dataclass
class Message:
    id: str  # the immutable id: what a request with Prefer: IdType="ImmutableId" sees
    folder: str
    created_seq: int
    seq: int
    data: dict[str, Any]
    rest_id: str = field(default_factory=lambda: _graph_id("AAMkAG"))  # the default id: changes on every move
    changed: tuple[str, ...] = ()  # the properties the latest update changed (delta shows only those)

    def graph_id(self, immutable: bool) -> str:
        return self.id if immutable else self.rest_id


@dataclass
class Mailbox:
    """One Exchange Online recipient (a shared mailbox): its addresses, its folders and what they hold."""

    mail: str
    proxy_addresses: list[str]
    upn: str = ""  # its userPrincipalName; often not its mail address (a shared mailbox keeps its first domain's)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    folders: dict[str, str] = field(default_factory=dict)  # folder id -> display name
    messages: dict[str, Message] = field(default_factory=dict)
    removed: list[tuple[int, str, str, str]] = field(default_factory=list)  # (seq, id, folder it left, its rest id)

    def __post_init__(self) -> None:
        self.upn = self.upn or self.mail
        self.inbox, self.junk = _graph_id("AQMkInbox"), _graph_id("AQMkJunk")
        self.folders[self.inbox], self.folders[self.junk] = "Inbox", "Junk Email"

    def answers_to(self, key: str) -> bool:
        """/users/{id | userPrincipalName}: Graph finds a user by these two only (user-get.md, and every mail API
        page); an SMTP address that is not the UPN is not found."""
        return key.lower() in (self.id.lower(), self.upn.lower())

    def has_address(self, address: str) -> bool:
        return any(p.lower() == f"smtp:{address.lower()}" for p in self.proxy_addresses)

    def folder_id(self, key: str) -> str | None:
        """A folder id, or a well-known folder name (mailfolder.md: inbox, junkemail, ...)."""
        well_known = {"inbox": self.inbox, "junkemail": self.junk}
        return well_known.get(key.lower()) or (key if key in self.folders else None)


def _standard_headers(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers every message carries, as Exchange lists them after the transport ones."""
    def addresses(field: str) -> str:
        return ", ".join(r["emailAddress"]["address"] for r in data[field])
    sender = data["from"]["emailAddress"]
    moment = datetime.fromisoformat(data["sentDateTime"].replace("Z", "+00:00"))
    found = [("From", f'"{sender["name"]}" <{sender["address"]}>'), ("To", addresses("toRecipients")),
             ("Subject", data["subject"]), ("Date", format_datetime(moment)),
             ("Message-ID", data["internetMessageId"]), ("MIME-Version", "1.0"),
             ("Content-Type", "text/html; charset=UTF-8")]
    if data["ccRecipients"]:
        found.insert(2, ("Cc", addresses("ccRecipients")))
    return found


def recipient(address: str, name: str = "") -> dict[str, Any]:
    return {"emailAddress": {"name": name or address, "address": address}}


def real_now() -> datetime:
    return datetime.now(timezone.utc)


class GraphState:
    """Every mailbox and a global change sequence; delta tokens are positions in that sequence.

    `clock` is the time the fake lives in: the one RootMail is given in the same test (tests/fakes/graph/harness.py
    Clock), or the real one. Never a fixed date: Graph checks a subscription's expirationDateTime against its own
    now, so a fake stuck on a date refuses every subscription a week after that date."""

    def __init__(self, clock: Callable[[], datetime] = real_now):
        self.mailboxes: list[Mailbox] = []
        self.clock = clock
        self._seq = itertools.count(1)
        self.last_seq = 0

    @property
    def now(self) -> datetime:
        return self.clock()

    @now.setter
    def now(self, moment: datetime) -> None:
        """Stop the fake's clock at `moment` (a test that wants a fixed now sets the same one for RootMail)."""
        self.clock = lambda: moment

    def next_seq(self) -> int:
        self.last_seq = next(self._seq)
        return self.last_seq

    def add_mailbox(self, mail: str, aliases: list[str] = (), upn: str = "") -> Mailbox:
        proxies = [f"SMTP:{mail}"] + [f"smtp:{a}" for a in aliases]
        mailbox = Mailbox(mail, proxies, upn)
        self.mailboxes.append(mailbox)
        return mailbox

    def mailbox(self, key: str) -> Mailbox | None:
        """The mailbox a request's /users/{key} names (object id or UPN only)."""
        return next((m for m in self.mailboxes if m.answers_to(key)), None)

    def by_address(self, address: str) -> Mailbox | None:
        """The mailbox that receives mail for an address: the test's way to name a mailbox."""
        return next((m for m in self.mailboxes if m.has_address(address) or m.answers_to(address)), None)

    def add_message(self, mailbox: Mailbox, *, to: list[str], cc: list[str] = (), subject: str = "Hello",
                    body: str = "<p>Hello</p>", sender: str = "no-reply@signin.aws", sender_name: str = "AWS",
                    message_id: str | None = None, headers: list[tuple[str, str]] = (),
                    received: datetime | None = None, junk: bool = False) -> Message:
        seq = self.next_seq()
        mid = _graph_id("AAkALg")
        received_at = received or self.now
        data = {
            "@odata.etag": f'W/"CQAAABYAAAA{seq:08d}"', "id": mid, "createdDateTime": iso(received_at),
            "lastModifiedDateTime": iso(received_at), "changeKey": f"CQAAABYAAAA{seq:08d}",
            "receivedDateTime": iso(received_at), "sentDateTime": iso(received_at - timedelta(seconds=2)),
            "hasAttachments": False, "internetMessageId": message_id or f"<{uuid.uuid4().hex}@email.amazonses.com>",
            "subject": subject, "bodyPreview": html.unescape(_TAG.sub("", body))[:255], "importance": "normal",
            "parentFolderId": mailbox.junk if junk else mailbox.inbox, "conversationId": _graph_id("AAQkConv"),
            "isRead": False, "isDraft": False,
            "webLink": f"https://outlook.office365.com/owa/?ItemID={quote(mid, safe='')}&exvsurl=1&viewmodel=ReadMessageItem",
            "body": {"contentType": "html", "content": body},
            "sender": recipient(sender, sender_name), "from": recipient(sender, sender_name),
            "toRecipients": [recipient(a) for a in to], "ccRecipients": [recipient(a) for a in cc],
            "bccRecipients": [], "replyTo": [],
            "internetMessageHeaders": [{"name": n, "value": v} for n, v in headers],
        }
        data["internetMessageHeaders"] += [{"name": n, "value": v} for n, v in _standard_headers(data)]
        message = Message(mid, mailbox.junk if junk else mailbox.inbox, seq, seq, data)
        mailbox.messages[mid] = message
        return message

    def update(self, mailbox: Mailbox, message: Message, changes: dict[str, Any]) -> None:
        message.data.update(changes)
        message.changed = tuple(changes)
        message.seq = self.next_seq()

    def move(self, mailbox: Mailbox, message: Message, folder: str) -> None:
        """outlook-immutable-id.md: an item's default id changes when it moves; its immutable id does not."""
        if message.folder != folder:
            mailbox.removed.append((self.next_seq(), message.id, message.folder, message.rest_id))
            message.rest_id = _graph_id("AAMkAG")
        message.folder = folder
        message.data["parentFolderId"] = folder
        message.changed = ()
        message.created_seq = message.seq = self.next_seq()  # created in the folder it moved to

    def in_folder(self, mailbox: Mailbox, folder: str) -> list[Message]:
        return [m for m in mailbox.messages.values() if m.folder == folder]


def shaped(message: Message, select: list[str] | None, text_body: bool, immutable: bool = True) -> dict[str, Any]:
    """The message as Graph returns it: the selected properties (id and etag always); without $select
    everything but internetMessageHeaders, "Returned only on applying a $select query option" (resources/message.md).
    The id is the immutable one only when the request asked for it (outlook-immutable-id.md); with
    Prefer: outlook.body-content-type="text" an HTML body comes as text (api/message-get.md)."""
    data = message.data
    keys = select or [k for k in data if k != "internetMessageHeaders"]
    out = {"@odata.etag": data["@odata.etag"], "id": message.graph_id(immutable)}
    out.update({k: data[k] for k in keys if k in data and k != "id"})
    if text_body and "body" in out and out["body"]["contentType"] == "html":
        out["body"] = {"contentType": "text", "content": as_text(out["body"]["content"])}
    return out


def encode_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
