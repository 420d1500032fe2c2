"""Settings come from the environment, and a bad start names every problem at once."""
from __future__ import annotations

from pathlib import Path

import pytest

from settings import SPEC, SettingsError, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"
TENANT = "11111111-2222-3333-4444-555555555555"


def test_defaults_are_the_embedded_ones():
    settings = load_settings({})
    assert settings.host == "127.0.0.1" and settings.port == 3978
    assert settings.store_url == "sqlite:///var/rootmail.db" and settings.mail_source == "smtp"
    assert settings.smtp_port == 2525 and not settings.authenticated


def test_all_problems_are_reported_together():
    with pytest.raises(SettingsError) as error:
        load_settings({"ROOTMAIL_PORT": "http", "ROOTMAIL_STORE": "mysql://x", "MicrosoftAppType": "Nope",
                       "ROOTMAIL_COSMOS_CREATE": "maybe"})
    message = str(error.value)
    for name in ("ROOTMAIL_PORT", "ROOTMAIL_STORE", "MicrosoftAppType", "ROOTMAIL_COSMOS_CREATE"):
        assert name in message
    assert len(error.value.problems) == 4


def test_without_an_app_id_the_bot_may_only_bind_to_loopback():
    with pytest.raises(SettingsError, match="loopback"):
        load_settings({"ROOTMAIL_HOST": "0.0.0.0"})
    assert load_settings({"ROOTMAIL_HOST": "0.0.0.0", "MicrosoftAppId": "id", "MicrosoftAppPassword": "pw",
                          "MicrosoftAppTenantId": TENANT}).host


def test_single_tenant_needs_its_tenant_and_cosmos_needs_an_endpoint():
    with pytest.raises(SettingsError) as error:
        load_settings({"MicrosoftAppType": "SingleTenant", "MicrosoftAppId": "id", "ROOTMAIL_STORE": "cosmos"})
    assert len(error.value.problems) == 2


def test_secrets_never_appear_in_the_settings_repr():
    settings = load_settings({"MicrosoftAppId": "id", "MicrosoftAppPassword": "s3cr3t-value",
                              "MicrosoftAppTenantId": TENANT, "ROOTMAIL_COSMOS_KEY": "c0sm0s-key"})
    assert "s3cr3t-value" not in repr(settings) and "c0sm0s-key" not in repr(settings)


def test_the_readme_documents_every_setting():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name, *_ in SPEC if f"`{name}`" not in readme]
    assert not missing, f"README.md lacks these settings: {missing}"
