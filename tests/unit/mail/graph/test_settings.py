"""Graph settings: the modes, the credentials they need and the URLs Graph and RootMail exchange."""
from __future__ import annotations

import pytest

from settings import SettingsError, load_settings

TENANT, CLIENT = "11111111-2222-3333-4444-555555555555", "22222222-3333-4444-5555-666666666666"


def test_graph_poll_needs_no_public_url_and_defaults_to_the_global_graph():
    settings = load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll"})
    assert settings.mail_source == "graph-poll"
    assert settings.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert settings.graph_subscription_minutes <= 10080 and settings.graph_move_to == "RootMail"


def test_graph_with_notifications_needs_a_public_url():
    with pytest.raises(SettingsError, match="ROOTMAIL_GRAPH_PUBLIC_URL"):
        load_settings({"ROOTMAIL_MAIL_SOURCE": "graph"})
    settings = load_settings({"ROOTMAIL_MAIL_SOURCE": "graph", "ROOTMAIL_GRAPH_PUBLIC_URL": "https://rm.example.com/"})
    assert settings.graph_public_url == "https://rm.example.com"


@pytest.mark.parametrize("url", ["http://rootmail.example.com", "ftp://x", "https://"])
def test_urls_must_be_https_except_to_loopback(url):
    with pytest.raises(SettingsError, match="ROOTMAIL_GRAPH_BASE_URL"):
        load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll", "ROOTMAIL_GRAPH_BASE_URL": url})
    assert load_settings({"ROOTMAIL_GRAPH_BASE_URL": "http://127.0.0.1:8081/v1.0"}).graph_base_url.endswith(":8081/v1.0")


def test_a_secret_or_certificate_needs_tenant_and_client_and_not_both(tmp_path):
    with pytest.raises(SettingsError) as error:
        load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll", "ROOTMAIL_GRAPH_CLIENT_SECRET": "s3cr3t",
                       "ROOTMAIL_GRAPH_CERTIFICATE": str(tmp_path / "missing.pem")})
    assert len(error.value.problems) == 3 and "s3cr3t" not in str(error.value)
    pem = tmp_path / "graph.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll", "ROOTMAIL_GRAPH_TENANT_ID": TENANT,
                              "ROOTMAIL_GRAPH_CLIENT_ID": CLIENT, "ROOTMAIL_GRAPH_CERTIFICATE": str(pem)})
    assert settings.graph_certificate == pem


def test_the_graph_secret_never_appears_in_the_settings_repr():
    settings = load_settings({"ROOTMAIL_GRAPH_TENANT_ID": TENANT, "ROOTMAIL_GRAPH_CLIENT_ID": CLIENT,
                              "ROOTMAIL_GRAPH_CLIENT_SECRET": "gr4ph-s3cret"})
    assert "gr4ph-s3cret" not in repr(settings)


def test_mailboxes_are_a_lower_cased_list():
    settings = load_settings({"ROOTMAIL_GRAPH_MAILBOXES": " AWS-Root-01@Example.com, aws-root@example.com ,"})
    assert settings.graph_mailboxes == ("aws-root-01@example.com", "aws-root@example.com")


def _self_signed_pem(path):
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rootmail-graph")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    return path


async def test_the_credential_is_a_secret_a_certificate_or_the_managed_identity(tmp_path):
    from azure.identity.aio import CertificateCredential, ClientSecretCredential, DefaultAzureCredential

    from mail.graph.client import credential_from

    pem = _self_signed_pem(tmp_path / "graph.pem")
    authority = "login.microsoftonline.com"
    made = [credential_from(TENANT, CLIENT, "s3cr3t", None, authority),
            credential_from(TENANT, CLIENT, "", pem, authority), credential_from("", "", "", None, authority)]
    try:
        assert [type(c) for c in made] == [ClientSecretCredential, CertificateCredential, DefaultAzureCredential]
    finally:
        for credential in made:
            await credential.close()


def test_the_graph_config_follows_the_mode():
    from mail.graph.wiring import GraphConfig

    notified = GraphConfig.from_settings(load_settings({
        "ROOTMAIL_MAIL_SOURCE": "graph", "ROOTMAIL_GRAPH_PUBLIC_URL": "https://rm.example.com",
        "ROOTMAIL_GRAPH_DELTA_MINUTES": "5", "ROOTMAIL_GRAPH_SUBSCRIPTION_MINUTES": "10080"}))
    polled = GraphConfig.from_settings(load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll",
                                                      "ROOTMAIL_GRAPH_POLL_SECONDS": "30"}))
    assert notified.notifications and notified.delta_every.total_seconds() == 300
    assert notified.subscription_lifetime.total_seconds() == 10080 * 60
    assert not polled.notifications and polled.delta_every.total_seconds() == 30


@pytest.mark.parametrize("name", ["ROOTMAIL_GRAPH_TENANT_ID", "ROOTMAIL_GRAPH_CLIENT_ID"])
@pytest.mark.parametrize("value", ["contoso.onmicrosoft.com", "contoso", "11111111-2222-3333-4444-55555555555"])
def test_graph_tenant_and_client_ids_must_be_guids(name, value):
    with pytest.raises(SettingsError, match=f"{name}=.*a GUID such as") as refused:
        load_settings({"ROOTMAIL_MAIL_SOURCE": "graph-poll", name: value})
    assert len(refused.value.problems) == 1
    if name == "ROOTMAIL_GRAPH_TENANT_ID":
        assert "directory (tenant) ID" in str(refused.value) and "domain name" in str(refused.value)


def test_a_guid_tenant_id_is_kept_lower_cased():
    settings = load_settings({"ROOTMAIL_GRAPH_TENANT_ID": TENANT.upper(), "ROOTMAIL_GRAPH_CLIENT_ID": CLIENT})
    assert settings.graph_tenant_id == TENANT and settings.graph_client_id == CLIENT
