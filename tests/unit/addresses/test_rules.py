"""AWS root e-mail rules, plus-address generation and validation of the `new` form."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from core.errors import InvalidRequest
from core.addresses.rules import address_problem, parse_new_address_request, plus_address, slugify


@pytest.mark.parametrize("address", ["aws-0001@example.com", "a.b+c@sub.example.co", "x1@ab.io"])
def test_valid_addresses(address):
    assert address_problem(address) is None


@pytest.mark.parametrize("address, why", [
    ("a@b.c", "6-64"), ("x" * 60 + "@example.com", "6-64"), ("ünï@example.com", "ASCII"),
    ("no-at-sign.example.com", "name@domain"), ("a..b@example.com", "before the @"),
    ("ab@localhost", "domain"), ("ab@-bad.com", "domain"), ("a b@example.com", "before the @"),
])
def test_invalid_addresses_say_why(address, why):
    assert why in address_problem(address)


@given(st.text(max_size=200), st.text(alphabet="0123456789abcdef", min_size=4, max_size=4))
def test_plus_addresses_always_satisfy_aws(name, suffix):
    address = plus_address("aws-root@example.com", name, suffix)
    assert address_problem(address) is None
    assert address.startswith("aws-root+") and address.endswith(f"{suffix}@example.com")


def test_slug_folds_accents_and_drops_the_rest():
    assert slugify("Zahlungsverkehr Prod / Ürsprung!", 40) == "zahlungsverkehr-prod-ursprung"
    assert slugify("***", 10) == ""


def form(**values):
    return {"account_name": "Payments Prod", "environment": "production", "purpose": "cards",
            "account_id": "", "request_id": "r1"} | values


def test_a_good_form_parses_and_normalises_the_account_id():
    request = parse_new_address_request(form(account_id="1234-5678-9012"))
    assert request.account_id == "123456789012" and request.account_name == "Payments Prod"


def test_every_bad_field_is_named_at_once():
    with pytest.raises(InvalidRequest) as error:
        parse_new_address_request(form(account_name="x" * 51, environment="moon", purpose="", account_id="12"))
    assert set(error.value.fields) == {"account_name", "environment", "purpose", "account_id"}
