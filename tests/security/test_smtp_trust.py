"""The SMTP inbox trusted whoever connected: any client that reached it could write the Authentication-Results a
verified AWS mail carries (with ROOTMAIL_AUTHSERV_IDS=exchange-online, whose header has no id, anyone could). Now only
the mail boundary vouches: a client from ROOTMAIL_SMTP_CLIENTS (loopback by default) or one logged in with SMTP AUTH,
offered only after STARTTLS; everyone else's Authentication-Results are dropped and their mail is quarantined."""
from __future__ import annotations

import asyncio
import smtplib
import ssl
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app import INBOX
from core.model import MailState
from scripts.demo_mail import build_message
from settings import SettingsError, load_settings
from tests.integration.protection_helpers import owned_address, settled, start  # noqa: F401  (fixture)

ELSEWHERE = "10.99.0.0/16"  # the boundary's network; the test's own client connects from 127.0.0.1


def _certificate(folder) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made now, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rootmail.localhost")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


async def _send(rootmail, to: str, login: tuple[str, str] | None = None, starttls: bool = False) -> None:
    port, message = rootmail.client.app[INBOX].port, build_message("verification", to)

    def blocking() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            if starttls:
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's self-signed cert
                client.starttls(context=context)
            if login:
                client.login(*login)
            client.send_message(message)
    await asyncio.to_thread(blocking)


async def test_a_client_outside_the_boundary_cannot_vouch_for_the_mail_it_sends(start):
    rootmail = await start(ROOTMAIL_MAIL_SOURCE="smtp", ROOTMAIL_SMTP_CLIENTS=ELSEWHERE)
    address = await owned_address(rootmail)

    await _send(rootmail, address)  # Authentication-Results: rootmail.localhost; dkim=pass ... dmarc=pass

    await settled(rootmail, MailState.QUARANTINED)
    [mail] = await rootmail.store.recent_mails(address, 1)
    assert mail.verdict == "unverified" and mail.secret == ""
    assert "no Authentication-Results header from your mail boundary" in mail.verdict_reason


def test_exchange_online_cannot_be_the_trusted_boundary_of_the_smtp_inbox(tmp_path):
    with pytest.raises(SettingsError) as refused:
        load_settings({"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'db'}", "ROOTMAIL_MAIL_SOURCE": "smtp",
                       "ROOTMAIL_AUTHSERV_IDS": "mx.example.com,exchange-online"})
    assert "ROOTMAIL_AUTHSERV_IDS='exchange-online'" in str(refused.value)


def test_listening_beyond_loopback_needs_the_boundary_networks_or_smtp_auth(tmp_path):
    env = {"ROOTMAIL_STORE": f"sqlite:///{tmp_path / 'db'}", "ROOTMAIL_MAIL_SOURCE": "smtp",
           "ROOTMAIL_SMTP_HOST": "0.0.0.0", "ROOTMAIL_SMTP_DOMAINS": "example.com",
           "ROOTMAIL_AUTHSERV_IDS": "mx.example.com"}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    assert "ROOTMAIL_SMTP_CLIENTS or ROOTMAIL_SMTP_USER" in str(refused.value)
    assert load_settings(env | {"ROOTMAIL_SMTP_CLIENTS": "10.20.0.0/24"}).smtp_clients == ("10.20.0.0/24",)


async def test_smtp_auth_is_offered_only_after_starttls_and_a_logged_in_boundary_vouches(start, tmp_path):
    cert, key = _certificate(tmp_path)
    rootmail = await start(ROOTMAIL_MAIL_SOURCE="smtp", ROOTMAIL_SMTP_CLIENTS=ELSEWHERE, ROOTMAIL_SMTP_USER="mx",
                           ROOTMAIL_SMTP_PASSWORD="s3cret-pass", ROOTMAIL_SMTP_TLS_CERT=cert,
                           ROOTMAIL_SMTP_TLS_KEY=key)
    address = await owned_address(rootmail)

    with pytest.raises(smtplib.SMTPNotSupportedError):  # no AUTH in clear: not even offered before STARTTLS
        await _send(rootmail, address, login=("mx", "s3cret-pass"))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        await _send(rootmail, address, login=("mx", "guess"), starttls=True)
    await _send(rootmail, address, login=("mx", "s3cret-pass"), starttls=True)

    await settled(rootmail, MailState.FORWARDED)
    [mail] = await rootmail.store.recent_mails(address, 1)
    assert mail.verdict == "verified" and mail.secret.startswith("v1.")
