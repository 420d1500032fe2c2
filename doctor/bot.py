"""The bot's identity: a Bot Framework token for the app id from the authority its type and tenant name, the Teams
package built for the same app id, and a public HTTPS messaging endpoint."""
from __future__ import annotations

import asyncio
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.adapter import bot_adapter, bot_credentials
from doctor.report import Finding, failed, passed, skipped
from settings import Settings

PART = "bot"
TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"  # the public cloud's Teams channel
_AADSTS = re.compile(r"AADSTS(\d+)")
# Entra ID's sign-in error codes (entra-docs: identity-platform/reference-error-codes.md) and what fixes each here
_FIXES = {
    "7000215": "MicrosoftAppPassword is not a valid client secret of the app registration: create a new one",
    "7000222": "MicrosoftAppPassword has expired: create a new client secret and set it",
    "700016": "MicrosoftAppId is not an application in MicrosoftAppTenantId: check both (and MicrosoftAppType)",
    "90002": "MicrosoftAppTenantId names no tenant: set your tenant's id (a GUID)",
    "900023": "MicrosoftAppTenantId is not a valid tenant id: set your tenant's id (a GUID)",
}


async def check(context) -> list[Finding]:
    settings: Settings = context.settings
    if not settings.app_id:
        return [skipped(PART, "Bot Framework identity", "MicrosoftAppId is empty: no authentication, loopback only")]
    return [await _token(context, settings), _package(settings, context.package),
            await _endpoint(context, settings)]


async def _token(context, settings: Settings) -> Finding:
    what = f"a Bot Framework token for {settings.app_id} ({settings.app_type})"
    try:
        credentials = context.bot_credential or await bot_credentials(bot_adapter(settings), settings.app_id,
                                                                      TEAMS_SERVICE_URL)
        token = await asyncio.to_thread(credentials.get_access_token)
    except Exception as error:  # MSAL and azure-identity raise many types; the code in the message says which
        text = " ".join(str(error).split())[:300]
        code = _AADSTS.search(text)
        fix = _FIXES.get(code.group(1)) if code else None
        return failed(PART, what, text or type(error).__name__, fix or (
            "check MicrosoftAppId, MicrosoftAppPassword (or the managed identity), MicrosoftAppType and "
            "MicrosoftAppTenantId against the Azure Bot resource"))
    if not token:
        return failed(PART, what, "no token came back", "check MicrosoftAppType and MicrosoftAppTenantId")
    return passed(PART, what, "issued")


def _package(settings: Settings, path: Path) -> Finding:
    what = "the Teams package is for this app id"
    if not path.is_file():
        return skipped(PART, what, f"no package at {path}; `make package` builds it")
    try:
        with zipfile.ZipFile(path) as package:
            manifest = json.loads(package.read("manifest.json"))
        bots = [b.get("botId", "") for b in manifest.get("bots", [])]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as problem:
        return failed(PART, what, f"{path}: {problem}", "rebuild it: make package")
    if settings.app_id.lower() not in (b.lower() for b in bots):
        return failed(PART, what, f"the package's bot is {', '.join(bots) or 'missing'}, this bot is {settings.app_id}",
                      f"rebuild with this app id (MicrosoftAppId={settings.app_id} make package) and upload it again")
    return passed(PART, what, str(path))


async def _endpoint(context, settings: Settings) -> Finding:
    what = "the messaging endpoint is public HTTPS"
    base = settings.graph_public_url
    if not base:
        return skipped(PART, what, "no public URL configured (ROOTMAIL_GRAPH_PUBLIC_URL); check the Azure Bot's "
                       "messaging endpoint is https://<your host>/api/messages")
    if urlsplit(base).scheme != "https":
        return failed(PART, what, f"{base} is not https", "Teams and Graph only call https endpoints: put RootMail "
                      "behind HTTPS ingress and set ROOTMAIL_GRAPH_PUBLIC_URL to it")
    try:
        async with context.http.get(f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=10)) as response:
            alive = response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError) as problem:
        return failed(PART, what, f"{base}/healthz did not answer: {type(problem).__name__}",
                      "check the ingress, DNS and certificate of the public URL")
    if not alive:
        return failed(PART, what, f"{base}/healthz answered {response.status}", "check what serves the public URL")
    return passed(PART, what, f"{base}/api/messages (its /healthz answers)")
