"""Authentication-Results an attacker shapes: quoted values and comments stay data, a failure outweighs a pass, and
only the trusted boundary's own (topmost) header counts. Every case here once verified a forged AWS mail."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from core.intake.sender_trust import TrustPolicy, parse_authentication_results, verify_sender

BOUNDARY = "mx.rootmail.example"
FROM = "Amazon Web Services <no-reply@signin.aws>"
SMUGGLED = "x; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"


def verdict(*values: str):
    return verify_sender({"from": [FROM], "authentication-results": list(values)}, FROM, TrustPolicy((BOUNDARY,)))


@pytest.mark.parametrize("header", [
    # a DKIM selector the attacker chose, written as a quoted-string (RFC 8601 pvalue = value = quoted-string)
    f'{BOUNDARY}; dkim=fail header.d=evil.example header.s="{SMUGGLED}"; dmarc=fail header.from=signin.aws',
    # the local part of the envelope sender, quoted because it holds specials (RFC 5321 Quoted-string)
    f'{BOUNDARY}; spf=pass smtp.mailfrom="a{SMUGGLED}"@evil.example; dkim=none; dmarc=none header.from=signin.aws',
    # an escaped quote inside the quoted-string does not end it
    f'{BOUNDARY}; dkim=fail header.s="\\"; dkim=pass header.d=signin.aws"; dmarc=fail header.from=signin.aws '
    f'policy.note="; dmarc=pass header.from=signin.aws"',
    # a quote inside a comment is plain comment text (RFC 5322 ctext), so the comment still ends at its ")"
    f'{BOUNDARY}; dkim=fail (sender wrote "a) header.d=evil.example; dmarc=fail header.from=signin.aws',
])
def test_a_result_smuggled_inside_a_quoted_value_or_comment_verifies_nothing(header):
    result = verdict(header)
    assert not result.verified, result.reason


def test_quoted_values_are_read_whole_and_unquoted():
    _, results = parse_authentication_results(f'{BOUNDARY}; dkim=fail header.d=evil.example header.s="{SMUGGLED}"')
    assert [(r.method, r.result) for r in results] == [("dkim", "fail")]
    assert results[0].props["header.s"] == SMUGGLED.lower()


@pytest.mark.parametrize("bad", ["fail", "temperror", "permerror"])
def test_a_dmarc_failure_outweighs_a_dmarc_pass_in_the_same_header(bad):
    header = f"{BOUNDARY}; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws; dmarc={bad} header.from=signin.aws"
    result = verdict(header)
    assert not result.verified and f"dmarc={bad}" in result.reason


@pytest.mark.parametrize("bad", ["fail", "temperror", "permerror"])
def test_a_failed_aligned_dkim_signature_outweighs_an_aligned_pass(bad):
    header = f"{BOUNDARY}; dkim={bad} header.d=signin.aws; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
    result = verdict(header)
    assert not result.verified and "outweighs" in result.reason


def test_a_failed_signature_of_another_domain_does_not_outweigh_aws_own():
    """A broken third-party signature (a list footer, a relay's) says nothing about AWS's (RFC 6376 section 6.1)."""
    header = (f"{BOUNDARY}; dkim=fail header.d=lists.example; dkim=pass header.d=signin.aws; "
              "dmarc=pass header.from=signin.aws")
    assert verdict(header).verified


def test_only_the_topmost_header_counts_and_only_if_the_boundary_wrote_it():
    forged_pass = f"{BOUNDARY}; dkim=pass header.d=signin.aws; dmarc=pass header.from=signin.aws"
    own_fail = f"{BOUNDARY}; dkim=none; dmarc=fail header.from=signin.aws"
    assert not verdict(own_fail, forged_pass).verified  # a pass below the boundary's own header is the sender's
    assert not verdict(f"mx.evil.example; {forged_pass.split('; ', 1)[1]}", forged_pass).verified
    assert verdict(forged_pass, own_fail).verified  # the boundary's newest header decides


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_nothing_inside_a_quoted_string_becomes_a_result(payload):
    quoted = payload.replace("\\", "\\\\").replace('"', '\\"')
    _, results = parse_authentication_results(
        f'{BOUNDARY}; dkim=fail header.d=evil.example header.s="{quoted}"; dmarc=fail header.from=signin.aws')
    assert [(r.method, r.result) for r in results] == [("dkim", "fail"), ("dmarc", "fail")]
    assert results[0].props["header.s"] == payload.lower()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="()\\"), max_size=80))
def test_nothing_inside_a_comment_becomes_a_result(payload):
    _, results = parse_authentication_results(
        f"{BOUNDARY}; dkim=fail ({payload}) header.d=evil.example; dmarc=fail (({payload})) header.from=signin.aws")
    assert [(r.method, r.result) for r in results] == [("dkim", "fail"), ("dmarc", "fail")]
