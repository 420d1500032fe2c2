"""Read-only probes of Microsoft Graph for the doctor: a token from the cloud's authority, each mailbox resolved and
readable, and (with notifications) a short-lived subscription that Graph can validate at the public URL, deleted
again. Nothing else is changed in the tenant: a missing move folder is reported, not created."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.core.exceptions import AzureError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.groups.item.group_item_request_builder import GroupItemRequestBuilder

from core.errors import MailSourceUnavailable, NotFound
from core.model import Mailbox
from core.probe import Probe
from mail.graph.api import INBOX, GraphMail
from mail.graph.client import credential_from, open_graph_client
from mail.graph.mailboxes import Resolved, resolve
from mail.graph.routes import LIFECYCLE_PATH, NOTIFICATIONS_PATH
from mail.graph.wiring import GraphConfig

PROBE_LIFETIME = timedelta(minutes=45)  # deleted at once; long enough that Graph accepts the expiry
_AADSTS = re.compile(r"AADSTS(\d+)")
# Entra ID's sign-in error codes (entra-docs: identity-platform/reference-error-codes.md) and what fixes each here
_TOKEN_FIXES = {
    "7000215": "ROOTMAIL_GRAPH_CLIENT_SECRET is not a valid secret of the app registration: create a new one",
    "7000222": "ROOTMAIL_GRAPH_CLIENT_SECRET has expired: create a new client secret and set it",
    "700016": "ROOTMAIL_GRAPH_CLIENT_ID is not an application in ROOTMAIL_GRAPH_TENANT_ID (or not in this cloud, "
              "ROOTMAIL_GRAPH_CLOUD)",
    "90002": "ROOTMAIL_GRAPH_TENANT_ID names no tenant in this cloud (ROOTMAIL_GRAPH_CLOUD)",
    "500011": "the tenant has no Microsoft Graph service principal for this cloud: check ROOTMAIL_GRAPH_CLOUD",
}
MAIL_FIX = ("grant the app the application permission Mail.ReadWrite (admin consent) and put the mailbox in its "
            "Exchange RBAC for Applications scope: run build/exchange-setup.ps1 (python -m scripts.exchange_setup), or "
            "New-ManagementRoleAssignment -App <app id> -Role 'Application Mail.ReadWrite' -CustomResourceScope "
            "<scope>; Test-ServicePrincipalAuthorization -Identity <app id> -Resource <mailbox> shows the result")
DIRECTORY_FIX = "grant the app the application permission User.Read.All (admin consent)"


async def probe_graph(config: GraphConfig, mailboxes: list[Mailbox], groups: tuple[str, ...] = (),
                      credential: Any = None) -> list[Probe]:
    own = credential is None
    if own:
        credential = credential_from(config.tenant_id, config.client_id, config.client_secret, config.certificate,
                                     config.authority)
    try:
        token = await _token(credential, config)
        if not token.ok:
            return [token]
        async with open_graph_client(credential, config.base_url, config.timeout, config.policy) as client:
            graph = GraphMail(client)
            found = [token]
            for mailbox in mailboxes:
                found += await _mailbox(graph, mailbox, config.move_to)
            resolved = [m.address for m in mailboxes if m.address in graph.user_ids]
            if config.notifications and resolved:
                found.append(await _subscription(graph, resolved[0], config.public_url))
            for group in groups:
                found.append(await _group(client, group))
            return found
    finally:
        if own:
            await credential.close()


async def _token(credential: Any, config: GraphConfig) -> Probe:
    scope = config.scope or f"{config.base_url.split('/v1.0')[0]}/.default"
    what = f"an app-only token for {scope} from {config.authority}"
    try:
        await credential.get_token(scope)
    except AzureError as error:
        text = " ".join(str(error).split())[:300]
        code = _AADSTS.search(text)
        return Probe(what, False, text or type(error).__name__, _TOKEN_FIXES.get(code.group(1)) if code else
                     "check ROOTMAIL_GRAPH_TENANT_ID, ROOTMAIL_GRAPH_CLIENT_ID, the secret or certificate, and "
                     "ROOTMAIL_GRAPH_CLOUD")
    return Probe(what, True, "issued")


async def _mailbox(graph: GraphMail, mailbox: Mailbox, move_to: str) -> list[Probe]:
    address = mailbox.address
    answer = await resolve(graph.client, address, mailbox.graph_id)
    if not isinstance(answer, Resolved):
        fix = (DIRECTORY_FIX + "; and check this host reaches Graph") if not answer.answered else (
            "check the pool file's address, or set the mailbox's graph_id to its object id or user principal name")
        return [Probe(f"{address} resolves to its Entra user", False, answer.reason, fix)]
    graph.user_ids[address] = answer.object_id
    found = [Probe(f"{address} resolves to its Entra user", True,
                   f"object id {answer.object_id} (UPN {answer.upn or '?'}), found by its {answer.found_by}")]
    try:
        addresses = await graph.addresses(address)
        found.append(Probe(f"{address}: proxy addresses readable", True, f"{len(addresses)} SMTP addresses"))
    except MailSourceUnavailable as error:
        found.append(Probe(f"{address}: proxy addresses readable", False, str(error)[:300], DIRECTORY_FIX))
    try:
        page = await graph.list_page(address, INBOX, None, datetime.now(timezone.utc) - timedelta(days=1))
        found.append(Probe(f"{address}: Inbox readable", True, f"{len(page.messages)} messages in the last day"))
    except (MailSourceUnavailable, NotFound) as error:
        found.append(Probe(f"{address}: Inbox readable", False, str(error)[:300], MAIL_FIX))
        return found
    if move_to:
        try:
            folder = await graph.find_folder(address, move_to)
        except MailSourceUnavailable as error:
            found.append(Probe(f"{address}: folder {move_to!r}", False, str(error)[:300], MAIL_FIX))
            return found
        found.append(Probe(f"{address}: folder {move_to!r}", True, "exists" if folder else
                           "not there yet; RootMail creates it at the first move (Mail.ReadWrite allows it)"))
    return found


async def _subscription(graph: GraphMail, mailbox: str, public_url: str) -> Probe:
    what = f"Graph can validate {public_url}{NOTIFICATIONS_PATH} (a probe subscription, deleted at once)"
    try:
        made = await graph.subscribe(mailbox, public_url + NOTIFICATIONS_PATH, public_url + LIFECYCLE_PATH,
                                     secrets.token_urlsafe(24), datetime.now(timezone.utc) + PROBE_LIFETIME)
    except MailSourceUnavailable as error:
        return Probe(what, False, str(error)[:300], "RootMail must answer Graph's validation request at "
                     "ROOTMAIL_GRAPH_PUBLIC_URL from the internet over HTTPS within 10 s: check the ingress, DNS and "
                     "certificate, and that this deployment is the one serving that URL")
    await graph.unsubscribe(made.id)
    return Probe(what, True, "created and deleted")


async def _group(client: Any, group_id: str) -> Probe:
    what = f"group {group_id} readable (admin and requester groups)"
    query = GroupItemRequestBuilder.GroupItemRequestBuilderGetQueryParameters(select=["id", "displayName"])
    builder = client.sdk.groups.by_group_id(group_id)
    try:
        group = await client.json("directory", "reading a group", lambda: builder.to_get_request_information(
            RequestConfiguration(query_parameters=query)))
    except NotFound:
        return Probe(what, False, "no such group", "check ROOTMAIL_ADMIN_GROUP / ROOTMAIL_REQUESTER_GROUP (object ids)")
    except MailSourceUnavailable as error:
        return Probe(what, False, str(error)[:300],
                     "grant the app the application permission GroupMember.Read.All (admin consent)")
    return Probe(what, True, str(group.get("displayName") or group_id))
