"""The bot's and the API's Entra identity settings: a new (single-tenant) bot cannot start half-configured, and tenant
ids and API audiences are what Entra ID really puts in tokens."""
from __future__ import annotations

import pytest

from settings import SettingsError, load_settings

BOT = "9b5c3f3e-0000-4000-8000-000000000001"
TENANT = "72f988bf-0000-4000-8000-000000000001"
API = "5a7c2f10-0000-4000-8000-0000000000a1"


def problems(**env: str) -> list[str]:
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    return error.value.problems


def test_a_bot_is_single_tenant_unless_told_otherwise():
    settings = load_settings({"MicrosoftAppId": BOT, "MicrosoftAppPassword": "pw", "MicrosoftAppTenantId": TENANT})

    assert (settings.app_type, settings.app_tenant_id) == ("SingleTenant", TENANT)


def test_an_app_id_without_a_tenant_refuses_to_start_and_names_the_fix():
    [problem] = problems(MicrosoftAppId=BOT, MicrosoftAppPassword="pw")

    assert problem.startswith("MicrosoftAppTenantId: required with MicrosoftAppId")
    assert "single-tenant" in problem and "2025-07-31" in problem and "MicrosoftAppType=MultiTenant" in problem


def test_a_legacy_multi_tenant_bot_still_starts_when_it_says_so():
    settings = load_settings({"MicrosoftAppId": BOT, "MicrosoftAppPassword": "pw", "MicrosoftAppType": "MultiTenant"})

    assert settings.app_type == "MultiTenant" and settings.app_tenant_id == ""


def test_without_an_app_id_no_identity_is_needed():
    assert load_settings({}).app_type == "SingleTenant" and not load_settings({}).authenticated


@pytest.mark.parametrize("name", ["MicrosoftAppTenantId", "ROOTMAIL_API_TENANT_ID"])
@pytest.mark.parametrize("value", ["contoso.onmicrosoft.com", "contoso.com", "tenant-0001", "{" + TENANT + "}"])
def test_a_tenant_id_must_be_a_guid_not_a_domain(name, value):
    [problem] = problems(**{name: value})

    assert problem.startswith(f"{name}={value!r}: must be the tenant's ID, a GUID") and "not a domain name" in problem


def test_a_tenant_guid_is_kept_in_the_lower_case_tokens_carry():
    settings = load_settings({"MicrosoftAppTenantId": TENANT.upper(), "ROOTMAIL_API_TENANT_ID": f" {TENANT.upper()} "})

    assert settings.app_tenant_id == settings.api_tenant_id == TENANT


def test_an_api_audience_of_only_an_application_id_uri_is_refused_naming_the_client_id():
    [problem] = problems(ROOTMAIL_API_AUDIENCE="api://rootmail", ROOTMAIL_API_TENANT_ID=TENANT)

    assert problem.startswith("ROOTMAIL_API_AUDIENCE='api://rootmail':")
    assert "Application (client) ID" in problem and "v2.0" in problem


def test_an_api_audience_names_the_client_id_and_may_add_the_uri():
    settings = load_settings({"ROOTMAIL_API_AUDIENCE": f"{API},api://rootmail", "ROOTMAIL_API_TENANT_ID": TENANT})

    assert settings.api_audiences == (API, "api://rootmail")


def test_the_api_metadata_url_must_be_the_v2_document():
    [problem] = problems(ROOTMAIL_API_AUDIENCE=API, ROOTMAIL_API_TENANT_ID=TENANT,
                         ROOTMAIL_API_METADATA_URL=f"https://login.microsoftonline.com/{TENANT}/.well-known/openid-configuration")

    assert problem.startswith("ROOTMAIL_API_METADATA_URL: must be the tenant's v2.0 document")
