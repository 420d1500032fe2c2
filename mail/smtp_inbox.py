"""The embedded mail source: an aiosmtpd server on the app's own loop that records mail before it answers 250.
Whose Authentication-Results it believes is mail.smtp_trust's business."""
from __future__ import annotations

import asyncio
import logging
import ssl
import weakref
from typing import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from core.intake.ingest import ingest
from core.intake.inspection import Inspector
from core.ports import Clock, Store
from mail.mime import parse_message
from mail.smtp_trust import SmtpTrust

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # settings.spec's ROOTMAIL_SMTP_MAX_BYTES default
MAX_RECIPIENTS = 100

ACCEPTED = "250 2.0.0 Message accepted"
RECIPIENT_OK = "250 2.1.5 OK"
DOMAIN_REFUSED = "550 5.1.1 Recipient domain not handled here"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
TRY_LATER = "451 4.3.0 Temporary failure storing the message, try again later"


class InboxNotReady(Exception):
    """The SMTP inbox is not accepting connections."""


class InboxHandler:
    """aiosmtpd handler: any RCPT (or only the configured domains); DATA is parsed and ingested, where it is
    inspected (kind, sender, sealed secret) and redacted before anything is stored."""

    def __init__(self, store: Store, clock: Clock, on_new_mail: Callable[[], object] = lambda: None,
                 domains: tuple[str, ...] = (), store_timeout: float = 30.0, inspector: Inspector | None = None,
                 trust: SmtpTrust = SmtpTrust()):
        self.store, self.clock, self.on_new_mail = store, clock, on_new_mail
        self.inspector, self.trust = inspector, trust
        self.domains = frozenset(d.strip().lower().lstrip("@") for d in domains if d.strip())
        self.store_timeout = store_timeout
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.domains and address.rpartition("@")[2].lower() not in self.domains:
            return DOMAIN_REFUSED
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        return RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.in_flight += 1
        self.idle.clear()
        try:
            return await self._deliver(envelope, session)
        except Exception:  # whatever broke, the sender keeps the mail and retries
            logger.exception("mail delivery failed unexpectedly")
            return TRY_LATER
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self.idle.set()

    async def _deliver(self, envelope: Envelope, session: Session) -> str:
        raw = envelope.original_content or b""
        parsed = await asyncio.to_thread(parse_message, raw)  # big or hostile mails must not stall the loop
        parsed = self.trust.view(parsed, session)
        try:
            new = await asyncio.wait_for(ingest(self.store, self.clock, parsed, list(envelope.rcpt_tos),
                                                self.inspector), self.store_timeout)
        except Exception as error:
            logger.warning("mail not stored; asked the sender to retry",
                           extra={"error": type(error).__name__, "size": len(raw),
                                  "recipients": len(envelope.rcpt_tos)})
            return TRY_LATER
        logger.info("mail received", extra={"size": len(raw), "recipients": len(envelope.rcpt_tos),
                                            "new_records": len(new), "defects": len(parsed.defects)})
        if new:
            try:
                self.on_new_mail()
            except Exception:  # the mail is stored; the forwarder's idle poll will pick it up
                logger.exception("on_new_mail callback failed")
        return ACCEPTED


class SmtpInbox:
    """A real SMTP server on host:port (0 picks a free port), sharing the running asyncio loop with the app.

    Mail over `max_bytes` is refused with 552 (aiosmtpd answers that itself, at MAIL FROM when the client
    announces SIZE, else at the end of DATA); with `domains`, RCPT for other domains gets 550.

    `async with SmtpInbox(...) as inbox:` or `await inbox.start()` / `await inbox.stop()`.
    """

    def __init__(self, store: Store, clock: Clock, on_new_mail: Callable[[], object] = lambda: None, *,
                 host: str = "127.0.0.1", port: int = 0, max_bytes: int = DEFAULT_MAX_BYTES,
                 domains: tuple[str, ...] = (), hostname: str = "rootmail.localhost",
                 store_timeout: float = 30.0, idle_timeout: float = 300.0, inspector: Inspector | None = None,
                 trust: SmtpTrust = SmtpTrust(), tls: ssl.SSLContext | None = None):
        self.handler = InboxHandler(store, clock, on_new_mail, domains, store_timeout, inspector, trust)
        self.trust, self.tls = trust, tls
        self.host, self._port = host, port
        self.max_bytes, self.hostname, self.idle_timeout = max_bytes, hostname, idle_timeout
        self._server: asyncio.AbstractServer | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    @property
    def port(self) -> int:
        """The bound port; the configured one until started."""
        if self._server is None or not self._server.sockets:
            return self._port
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        if self._server is not None:
            return
        _quiet_aiosmtpd_debug()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: self._session(loop), self.host, self._port)
        logger.debug("SMTP inbox listening", extra={"host": self.host, "port": self.port})

    def _session(self, loop: asyncio.AbstractEventLoop) -> SMTP:
        # hostname given so aiosmtpd does not look up the FQDN (a DNS query) for every connection
        # AUTH only with a TLS context, and only after STARTTLS (auth_require_tls): never a password in clear
        session = SMTP(self.handler, data_size_limit=self.max_bytes, enable_SMTPUTF8=True,
                       hostname=self.hostname, ident="RootMail", timeout=self.idle_timeout, loop=loop,
                       tls_context=self.tls, authenticator=self.trust.authenticator() if self.tls else None,
                       auth_require_tls=True)
        self._sessions.add(session)
        return session

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, let deliveries in progress finish (up to `grace` seconds), close every session."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        try:
            await asyncio.wait_for(self.handler.idle.wait(), grace)
        except asyncio.TimeoutError:
            logger.warning("SMTP inbox stopped with deliveries in progress; senders will retry")
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # let the closed sessions' tasks see connection_lost before the loop moves on
        logger.info("SMTP inbox stopped")

    async def ping(self, timeout: float = 2.0) -> None:
        """Raise InboxNotReady unless a connection to the inbox gets the 220 greeting."""
        if self._server is None:
            raise InboxNotReady("SMTP inbox is not started")
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
        except (OSError, asyncio.TimeoutError) as error:
            raise InboxNotReady(f"SMTP inbox does not accept connections: {error!r}") from error
        try:
            greeting = await asyncio.wait_for(reader.readline(), timeout)
            writer.write(b"QUIT\r\n")
            await writer.drain()
        except (OSError, asyncio.TimeoutError) as error:
            raise InboxNotReady(f"SMTP inbox did not greet: {error!r}") from error
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
        if not greeting.startswith(b"220"):
            raise InboxNotReady("SMTP inbox answered without its 220 greeting")

    async def __aenter__(self) -> "SmtpInbox":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


class _DropDebug(logging.Filter):
    """aiosmtpd logs every DATA line at DEBUG; those lines carry message bodies and codes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _quiet_aiosmtpd_debug() -> None:
    aiosmtpd_log = logging.getLogger("mail.log")  # aiosmtpd's logger name, not ours
    if not any(isinstance(f, _DropDebug) for f in aiosmtpd_log.filters):
        aiosmtpd_log.addFilter(_DropDebug())
