"""Microsoft Graph: a token from the cloud's authority; each configured mailbox resolved to its Entra user, its proxy
addresses and Inbox readable, its move folder there (or creatable); with notifications, Graph can validate the public
URL; the admin and requester groups readable."""
from __future__ import annotations

from core.addresses.pool import PoolConfigError, load_pool_file
from doctor.report import Finding, failed, passed, skipped
from settings import Settings

PART = "graph"


async def check(context) -> list[Finding]:
    settings: Settings = context.settings
    if not settings.mail_source.startswith("graph"):
        return [skipped(PART, "Microsoft Graph", f"the mail source is {settings.mail_source}")]
    from mail.graph.probe import probe_graph  # msgraph loads only when Graph is configured
    from mail.graph.wiring import GraphConfig, configured_mailboxes

    try:
        mailboxes = configured_mailboxes(load_pool_file(settings.pool_file), settings.graph_mailboxes)
    except PoolConfigError as problem:
        return [failed(PART, "the pool file names the mailboxes", str(problem), "fix ROOTMAIL_POOL_FILE")]
    groups = () if settings.groups_file else tuple(g for g in (settings.admin_group, settings.requester_group) if g)
    probes = await probe_graph(GraphConfig.from_settings(settings), mailboxes, groups, context.graph_credential)
    return [passed(PART, p.check, p.detail) if p.ok else failed(PART, p.check, p.detail, p.fix) for p in probes]
