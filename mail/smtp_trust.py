"""Whom the SMTP inbox believes: only the mail boundary that verified the sender may vouch for a mail.

Sender verification reads the Authentication-Results header the boundary (your MX, Exchange Online) added, and any
SMTP client can write that header too. So the inbox takes the header only from a client it knows is the boundary: one
connecting from the configured networks (ROOTMAIL_SMTP_CLIENTS, loopback by default), or one that logged in with SMTP
AUTH, which is offered only after STARTTLS (RFC 4954 section 4: no plain-text passwords). Anyone else may still
deliver, but the Authentication-Results they wrote are dropped before the mail is inspected: their mail is
unverified and goes to the admins' quarantine, whatever it claims.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import ssl
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from core.intake.parsed import ParsedMail

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.0/8", "::1/128")
VOUCHING_HEADER = "authentication-results"


@dataclass(frozen=True)
class SmtpTrust:
    networks: tuple[str, ...] = LOOPBACK  # clients here are the boundary
    login: str = ""  # SMTP AUTH user; "" offers no AUTH
    password: str = field(default="", repr=False)
    _parsed: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parsed", tuple(ipaddress.ip_network(n, strict=False) for n in self.networks))

    def trusts(self, session: Session) -> bool:
        return bool(session.authenticated) or self._from_networks(session.peer)

    def _from_networks(self, peer: Any) -> bool:
        try:
            address = ipaddress.ip_address(peer[0] if isinstance(peer, tuple) else peer)
        except (ValueError, TypeError, IndexError):
            return False
        address = getattr(address, "ipv4_mapped", None) or address  # ::ffff:10.0.0.5 is 10.0.0.5
        return any(address in network for network in self._parsed)

    def authenticator(self):
        """aiosmtpd's authenticator for LOGIN and PLAIN, or None when no SMTP AUTH is configured."""
        if not self.login:
            return None
        expected = (self.login.encode(), self.password.encode())

        def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
            if not isinstance(data, LoginPassword):
                return AuthResult(success=False, handled=False)
            matches = hmac.compare_digest(data.login, expected[0]) & hmac.compare_digest(data.password, expected[1])
            if not matches:
                logger.warning("SMTP AUTH refused", extra={"peer": str(session.peer[0]) if session.peer else ""})
            return AuthResult(success=matches, handled=False)
        return check

    def view(self, parsed: ParsedMail, session: Session) -> ParsedMail:
        """The mail as inspection should see it: from an untrusted client, without the header only the boundary may
        write."""
        if self.trusts(session) or VOUCHING_HEADER not in parsed.headers:
            return parsed
        logger.info("Authentication-Results from a client that is not the mail boundary ignored",
                    extra={"peer": str(session.peer[0]) if session.peer else ""})
        return replace(parsed, headers={k: v for k, v in parsed.headers.items() if k != VOUCHING_HEADER})


def tls_context(certificate: Path, key: Path) -> ssl.SSLContext:
    """The server side of STARTTLS: TLS 1.2 or newer, with the configured PEM certificate and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certificate), str(key))
    return context
