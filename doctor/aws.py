"""AWS: each configured role can be assumed (keyless with the Entra ID token, or on this host's AWS credentials) and
may make the read-only calls RootMail makes. Nothing is changed in AWS."""
from __future__ import annotations

import asyncio

from doctor.report import Finding, failed, passed, skipped
from settings import Settings

PART = "aws"


async def check(context) -> list[Finding]:
    settings: Settings = context.settings
    if not (settings.org_role_arn or settings.adopt_role_arn):
        return [skipped(PART, "AWS roles", "ROOTMAIL_ORG_ROLE_ARN and ROOTMAIL_ADOPT_ROLE_ARN are empty")]
    from aws.probe import probe_adopter, probe_org_reader  # boto3 loads only when AWS is configured

    identity = context.web_identity or _web_identity(settings)
    common = {"region": settings.org_region, "external_id": settings.org_external_id, "web_identity": identity,
              "endpoint_url": context.aws_endpoint}
    found: list[Finding] = []
    accounts: list[str] = []
    if settings.org_role_arn:
        probes, accounts = await asyncio.to_thread(probe_org_reader, settings.org_role_arn, **common)
        found += [_finding(p) for p in probes]
    else:
        found.append(skipped(PART, "organization reader (sync)", "ROOTMAIL_ORG_ROLE_ARN is empty"))
    if settings.adopt_role_arn:
        probes = await asyncio.to_thread(probe_adopter, settings.adopt_role_arn, accounts=accounts, **common)
        found += [_finding(p) for p in probes]
    else:
        found.append(skipped(PART, "adopter (adopt)", "ROOTMAIL_ADOPT_ROLE_ARN is empty"))
    return found


def _finding(probe) -> Finding:
    if probe.ok is None:
        return skipped(PART, probe.check, probe.detail)
    return passed(PART, probe.check, probe.detail) if probe.ok else failed(PART, probe.check, probe.detail, probe.fix)


def _web_identity(settings: Settings):
    """The same token source the app uses (wiring.aws), or None when AWS access rides on this host's credentials."""
    from wiring.aws import web_identity

    return web_identity(settings)
