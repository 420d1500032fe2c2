"""What RootMail asks Microsoft Graph, one method per request; answers are plain data, never SDK models."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.subscription import Subscription
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import DeltaRequestBuilder
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.item.mail_folders.mail_folders_request_builder import MailFoldersRequestBuilder
from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from core.errors import MailSourceUnavailable, NotFound
from mail.graph.client import PER_MAILBOX, GraphClient, retry_after

# What the pipeline reads of a message: routing (recipients, headers for forwarded mail), the card, sender checks
# (Authentication-Results), dedupe (Internet Message-ID) and the admin's way back to it (webLink).
MESSAGE_FIELDS = ["id", "internetMessageId", "subject", "from", "sender", "toRecipients", "ccRecipients",
                  "receivedDateTime", "body", "internetMessageHeaders", "webLink", "parentFolderId"]
# Immutable ids survive the move to the done folder; Graph converts HTML bodies to text better than we could. The
# header counts only for the request that carries it: every request, and every request inside a batch, sends it.
PREFER = ['IdType="ImmutableId"', 'outlook.body-content-type="text"']
INBOX, JUNK = "inbox", "junkemail"  # well-known folder names
SUBSCRIPTIONS = "(subscriptions)"  # the throttling gate for calls that are not about one mailbox


class MailboxUnresolved(MailSourceUnavailable):
    """A configured mailbox that RootMail has not (yet) found in Microsoft Entra ID: no request is made for it."""


@dataclass(frozen=True)
class DeltaPage:
    messages: list[dict[str, Any]]
    next_link: str | None
    delta_link: str | None = None


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    expires: datetime


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _config(query: Any = None, prefer: list[str] = PREFER) -> RequestConfiguration:
    config = RequestConfiguration(query_parameters=query)
    if prefer:
        config.headers.add("Prefer", prefer)
    return config


class GraphMail:
    """Requests name a mailbox by the object id it resolved to (mail.graph.mailboxes): Graph finds users by id or
    userPrincipalName only, and a shared mailbox's address is often not its UPN."""

    def __init__(self, client: GraphClient, page_size: int = 50):
        self.client, self.page_size = client, page_size
        self._sdk = client.sdk
        self.user_ids: dict[str, str] = {}  # configured mailbox address -> Entra object id

    def user(self, mailbox: str) -> str:
        if found := self.user_ids.get(mailbox):
            return found
        raise MailboxUnresolved(f"RootMail has not found the mailbox {mailbox} in Microsoft Entra ID; "
                                "no request is made for it until it is found (see the log and the admin card).")

    def _user(self, mailbox: str) -> Any:
        return self._sdk.users.by_user_id(self.user(mailbox))

    async def addresses(self, mailbox: str) -> list[str]:
        """The mailbox's primary address and every smtp proxy address, lower-cased."""
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=["id", "mail",
                                                                                       "proxyAddresses"])
        builder = self._user(mailbox)
        user = await self.client.call(mailbox, f"reading the addresses of {mailbox}",
                                      lambda: builder.get(_config(query, [])))
        found = [user.mail or ""] + [p[5:] for p in user.proxy_addresses or [] if p.lower().startswith("smtp:")]
        return list(dict.fromkeys(a.strip().lower() for a in found if a.strip()))

    async def message(self, mailbox: str, message_id: str) -> dict[str, Any]:
        query = MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(select=MESSAGE_FIELDS)
        builder = self._user(mailbox).messages.by_message_id(message_id)
        return await self.client.json(mailbox, "fetching a message",
                                      lambda: builder.to_get_request_information(_config(query)))

    async def messages(self, mailbox: str, message_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Several messages of one mailbox, at most 4 to a JSON batch (all Outlook runs at once for a mailbox);
        None for a message that is gone. One that Graph throttled or failed inside the batch is fetched alone, with
        the client's retries."""
        found: dict[str, dict[str, Any] | None] = {}
        query, user = "?$select=" + ",".join(MESSAGE_FIELDS), quote(self.user(mailbox), safe="")
        for start in range(0, len(message_ids), PER_MAILBOX):
            chunk = message_ids[start:start + PER_MAILBOX]
            if len(chunk) == 1:
                found[chunk[0]] = await self._one(mailbox, chunk[0])
                continue
            steps = [{"id": str(n), "method": "GET", "headers": {"Prefer": ", ".join(PREFER)},
                      "url": f"/users/{user}/messages/{quote(message_id, safe='')}{query}"}
                     for n, message_id in enumerate(chunk)]
            answers = await self._batch(mailbox, "fetching messages", steps, bodies=True)
            for n, message_id in enumerate(chunk):
                status, body = answers.get(str(n), (0, None))
                found[message_id] = body if _ok(status) else None if status == 404 else await self._one(mailbox,
                                                                                                       message_id)
        return found

    async def _one(self, mailbox: str, message_id: str) -> dict[str, Any] | None:
        try:
            return await self.message(mailbox, message_id)
        except NotFound:
            return None

    async def delta_page(self, mailbox: str, link: str | None, since: datetime | None,
                         folder: str = INBOX) -> DeltaPage:
        """One page of a folder's delta: from `link` (a nextLink or deltaLink), or a new round of new messages
        received since `since`. The SDK repeats the Prefer header; the link carries the rest."""
        builder = self._user(mailbox).mail_folders.by_mail_folder_id(folder).messages.delta
        prefer = [*PREFER, f"odata.maxpagesize={self.page_size}"]
        if link:
            def request():
                return builder.with_url(link).to_get_request_information(_config(prefer=prefer))
        else:
            query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
                select=MESSAGE_FIELDS, change_type="created",
                filter=f"receivedDateTime ge {since:%Y-%m-%dT%H:%M:%SZ}" if since else None)

            def request():
                return builder.to_get_request_information(_config(query, prefer))
        page = await self.client.json(mailbox, f"reading the {folder} delta", request)
        return DeltaPage(page.get("value") or [], page.get("@odata.nextLink"), page.get("@odata.deltaLink"))

    async def list_page(self, mailbox: str, folder: str, link: str | None, since: datetime) -> DeltaPage:
        """One page of the messages in a folder received since `since` (a plain list, which no cap cuts short)."""
        builder = self._user(mailbox).mail_folders.by_mail_folder_id(folder).messages
        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            select=MESSAGE_FIELDS, filter=f"receivedDateTime ge {since:%Y-%m-%dT%H:%M:%SZ}", top=self.page_size)

        def request() -> RequestInformation:
            if link:
                return builder.with_url(link).to_get_request_information(_config())
            return builder.to_get_request_information(_config(query))
        page = await self.client.json(mailbox, f"listing the {folder} messages", request)
        return DeltaPage(page.get("value") or [], page.get("@odata.nextLink"))

    async def find_folder(self, mailbox: str, name: str) -> str | None:
        """The id of the top-level folder called `name`, or None when there is none."""
        folders = self._user(mailbox).mail_folders
        escaped = name.replace("'", "''")
        query = MailFoldersRequestBuilder.MailFoldersRequestBuilderGetQueryParameters(
            filter=f"displayName eq '{escaped}'", select=["id", "displayName"])
        found = await self.client.call(mailbox, f"finding the folder {name!r}", lambda: folders.get(_config(query, [])))
        return found.value[0].id if found and found.value else None

    async def folder_id(self, mailbox: str, name: str) -> str:
        """The id of the top-level folder called `name`, created when missing."""
        folders = self._user(mailbox).mail_folders
        for _ in range(2):
            if found := await self.find_folder(mailbox, name):
                return found
            try:
                created = await self.client.call(mailbox, f"creating the folder {name!r}",
                                                 lambda: folders.post(MailFolder(display_name=name)))
                return created.id
            except MailSourceUnavailable as error:  # 409: another instance created it meanwhile; read it again
                if error.status != 409:
                    raise
        raise NotFound(f"The folder {name!r} of {mailbox} could neither be found nor created.")

    async def mark_read_and_move(self, mailbox: str, message_ids: list[str],
                                 folder_id: str | None) -> dict[str, tuple[int, int | None]]:
        """Mark each message read and (with a folder) move it there. Graph runs a batch only fully parallel, as one
        chain, or with every dependent on one request (json-batching.md), and a chain stops at its first failure;
        so, four messages at a time (all Outlook runs at once for one mailbox): one parallel batch of updates,
        then one of moves for the messages whose update succeeded. A message is never moved unread, and one that
        fails holds back no other. Returns each message's (update status, move status or None); 424: not tried."""
        outcome: dict[str, tuple[int, int | None]] = {}
        user = quote(self.user(mailbox), safe="")
        for start in range(0, len(message_ids), PER_MAILBOX):
            chunk = message_ids[start:start + PER_MAILBOX]
            urls = {m: f"/users/{user}/messages/{quote(m, safe='')}" for m in chunk}
            read = await self._parallel(mailbox, "marking messages read", "PATCH",
                                        [(urls[m], {"isRead": True}) for m in chunk])
            moved: list[int] = []
            todo = [m for m, status in zip(chunk, read) if _ok(status)] if folder_id else []
            if todo:
                moved = await self._parallel(mailbox, "moving messages", "POST",
                                             [(f"{urls[m]}/move", {"destinationId": folder_id}) for m in todo])
            moves = dict(zip(todo, moved))
            for message_id, status in zip(chunk, read):
                outcome[message_id] = (status, moves.get(message_id, 424) if folder_id else None)
        return outcome

    async def _parallel(self, mailbox: str, what: str, method: str, calls: list[tuple[str, Any]]) -> list[int]:
        """One batch of independent requests with JSON bodies; their statuses, in order."""
        steps = [{"id": str(n), "method": method, "url": url, "body": body,
                  "headers": {"Content-Type": "application/json", "Prefer": PREFER[0]}}
                 for n, (url, body) in enumerate(calls)]
        answers = await self._batch(mailbox, what, steps)
        return [answers.get(str(n), (0,))[0] for n in range(len(calls))]

    async def _batch(self, mailbox: str, what: str, steps: list[dict[str, Any]],
                     bodies: bool = False) -> dict[str, tuple[int, Any]]:
        """POST /$batch (over aiohttp: GraphClient.batch); each step's (status, body if asked for) by id. A step
        Graph throttled pauses the mailbox for its Retry-After, as a throttled request would."""
        responses = (await self.client.batch(mailbox, what, steps)).get("responses") or []
        waits = [retry_after({k.lower(): v for k, v in (r.get("headers") or {}).items()}) or 1.0
                 for r in responses if r.get("status") == 429]
        if waits:
            self.client.throttled(mailbox, max(waits))
        return {str(r.get("id")): (int(r.get("status") or 0), r.get("body") if bodies else None) for r in responses}

    async def subscribe(self, mailbox: str, notification_url: str, lifecycle_url: str, client_state: str,
                        expires: datetime) -> SubscriptionInfo:
        """Created messages in the Inbox, without resource data (so up to 10080 minutes), immutable ids."""
        body = Subscription(change_type="created", notification_url=notification_url,
                            lifecycle_notification_url=lifecycle_url, client_state=client_state,
                            resource=f"users/{self.user(mailbox)}/mailFolders('{INBOX}')/messages",
                            expiration_date_time=expires, latest_supported_tls_version="v1_2")
        created = await self.client.call(SUBSCRIPTIONS, f"subscribing to {mailbox}",
                                         lambda: self._sdk.subscriptions.post(body, _config(prefer=PREFER[:1])))
        return SubscriptionInfo(created.id, created.expiration_date_time)

    async def renew(self, subscription_id: str, expires: datetime) -> SubscriptionInfo:
        item = self._sdk.subscriptions.by_subscription_id(subscription_id)
        renewed = await self.client.call(SUBSCRIPTIONS, "renewing a subscription",
                                         lambda: item.patch(Subscription(expiration_date_time=expires)))
        return SubscriptionInfo(renewed.id or subscription_id, renewed.expiration_date_time or expires)

    async def reauthorize(self, subscription_id: str) -> None:
        item = self._sdk.subscriptions.by_subscription_id(subscription_id)
        await self.client.call(SUBSCRIPTIONS, "reauthorizing a subscription", lambda: item.reauthorize.post())

    async def unsubscribe(self, subscription_id: str) -> None:
        item = self._sdk.subscriptions.by_subscription_id(subscription_id)
        try:
            await self.client.call(SUBSCRIPTIONS, "deleting a subscription", lambda: item.delete())
        except NotFound:
            pass
