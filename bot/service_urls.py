"""Which Bot Connector service URLs RootMail ever calls: Teams' own hosts with authentication, loopback without.

Every post, reply, 1:1 chat and membership check goes to the `serviceUrl` an activity brought (and that RootMail stored
with the conversation). Without authentication anyone reaching the port can make up an activity, and with it a
serviceUrl that would receive the next mail card of that conversation; so without MicrosoftAppId only loopback is
called (the Agents Playground, a local Bot Connector). With it, only Teams' Bot Connector hosts:

- public cloud `smba.trafficmanager.net` (regional paths /amer/, /emea/, /apac/, /teams/ ...), and the government
  clouds GCC `smba.infra.gcc.teams.microsoft.com`, GCC High `smba.infra.gov.teams.microsoft.us`, DoD
  `smba.infra.dod.teams.microsoft.us`: MicrosoftDocs/msteams-docs, msteams-platform/bots/how-to/conversations/
  send-proactive-messages.md (the government endpoints), and the Microsoft 365 Agents SDK's
  TeamsProactiveServiceEndpoints (learn.microsoft.com/dotnet/api/microsoft.agents.extensions.teams
  .teamsproactiveserviceendpoints: publicGlobal https://smba.trafficmanager.net/teams/, gcc, gccHigh, dod).
Teams operated by 21Vianet is not listed: its Bot Connector host is not documented there; name it in
ROOTMAIL_SERVICE_URL_HOSTS when needed. Any other host (another Bot Framework channel, a made-up one) is refused and
the call not made.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from settings import Settings
from settings.parse import is_loopback

TEAMS_HOSTS = frozenset({
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
})


@dataclass(frozen=True)
class ServiceUrls:
    """Which Bot Connectors this RootMail calls: `extra_hosts` (ROOTMAIL_SERVICE_URL_HOSTS) adds hosts Microsoft's
    pages do not list (a sovereign cloud's; a loopback fake in tests, the only hosts plain http is allowed to)."""

    authenticated: bool
    extra_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: Settings) -> "ServiceUrls":
        return cls(settings.authenticated, frozenset(settings.service_url_hosts))

    def allowed(self, url: str | None) -> bool:
        return service_url_allowed(url, self.authenticated, self.extra_hosts)


def service_url_allowed(url: str | None, authenticated: bool, extra_hosts: frozenset[str] = frozenset()) -> bool:
    """Whether RootMail may call this Bot Connector: an https Teams host (or one of `extra_hosts`) when
    authenticated, else loopback only."""
    if not url or not url.isascii() or not url.isprintable() or "\\" in url or " " in url:
        return False  # what URL parsers disagree on is never called
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:  # a malformed IPv6 literal
        return False
    if "@" in parts.netloc:  # user info: `https://smba.trafficmanager.net@evil.example` is evil.example
        return False
    if not authenticated:
        return parts.scheme in ("http", "https") and is_loopback(host)
    if host in extra_hosts and is_loopback(host):
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and (host in TEAMS_HOSTS or host in extra_hosts)
