"""Is this really AWS? Read the Authentication-Results your own receiving boundary added, and nothing else.

Only the topmost Authentication-Results header counts, and only if its authserv-id is one of yours: a boundary
adds its header on top, so any header below it came from the sender and may be forged (RFC 8601 section 5).
Verified means: the From header names exactly one address, on an AWS sending domain; DMARC passed for that
From domain; and a DKIM signature passed whose domain is aligned with it (same AWS organisational domain).
Exchange Online writes its Authentication-Results without an authserv-id; name it EXCHANGE_ONLINE to trust that.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from core.intake.auth_results import MAX_HEADER_CHARS, AuthResult, parse_authentication_results
from core.intake.aws_domains import DEFAULT_SENDER_DOMAINS, owned_by_aws
from core.intake.lookalike import lookalike_of

EXCHANGE_ONLINE = "exchange-online"  # the authserv-id setting for Exchange Online's id-less header
DEFAULT_AWS_DOMAINS = DEFAULT_SENDER_DOMAINS  # core.intake.aws_domains: every one with its source

_ANGLE = re.compile(r"<([^<>]*)>\s*$")


@dataclass(frozen=True)
class TrustPolicy:
    authserv_ids: tuple[str, ...] = ()
    aws_domains: tuple[str, ...] = DEFAULT_AWS_DOMAINS

    def organisation(self, domain: str) -> str | None:
        """The configured AWS domain this domain is, or is under (the shortest, so aws.amazon.com -> amazon.com)."""
        domain = domain.lower().rstrip(".")
        matches = [d for d in self.aws_domains if domain == d or domain.endswith("." + d)]
        return min(matches, key=len) if matches else None


@dataclass(frozen=True)
class Verdict:
    verified: bool
    reason: str
    from_domain: str = ""


def verify_sender(headers: dict[str, list[str]], sender: str, policy: TrustPolicy) -> Verdict:
    """Whether the mail provably comes from AWS, and why (or why not) in words an admin can act on."""
    froms = headers.get("from", [])
    if len(froms) != 1:
        return Verdict(False, f"The mail has {len(froms)} From headers; exactly one is expected.")
    addresses = [a for _, a in getaddresses([froms[0][:MAX_HEADER_CHARS]]) if "@" in a]
    if len(addresses) > 1:
        return Verdict(False, "The From header names several addresses.")
    name, address = split_sender(sender)
    domain = address.rpartition("@")[2].lower().rstrip(".") if "@" in address else ""
    if not domain:
        return Verdict(False, "The mail has no readable From address.")
    organisation = policy.organisation(domain)
    if organisation is None:
        return Verdict(False, _foreign_domain(name, domain, policy), domain)
    header = trusted_results(headers.get("authentication-results", []), policy.authserv_ids)
    if header is None:
        return Verdict(False, _no_trusted_header(headers.get("authentication-results", []), policy), domain)
    authserv, results = header
    problem = _dmarc_problem(results, domain) or _dkim_problem(results, organisation, policy)
    if problem:
        return Verdict(False, problem, domain)
    return Verdict(True, f"DKIM and DMARC passed for {domain}, checked by {authserv or 'Exchange Online'}.", domain)


def split_sender(sender: str) -> tuple[str, str]:
    """(display name, address) of 'Name <address>' or a bare address."""
    angle = _ANGLE.search(sender)
    if angle:
        return sender[:angle.start()].strip(), angle[1].strip()
    return "", sender.strip()


def trusted_results(values: list[str], authserv_ids: tuple[str, ...]) -> tuple[str, list[AuthResult]] | None:
    """(authserv-id, results) of the topmost header, if a trusted boundary wrote it; None otherwise."""
    if not values or not authserv_ids:
        return None
    authserv, results = parse_authentication_results(values[0])
    trusted = {i.lower() for i in authserv_ids}
    wanted = authserv.lower() if authserv else EXCHANGE_ONLINE
    return (authserv, results) if wanted in trusted else None


# A fail, temperror or permerror outweighs a pass (RFC 8601 section 2.7.1: the boundary could not confirm the
# message). DMARC is about the one From domain, so any such DMARC result refuses the mail. DKIM reports one result per
# signature (RFC 6376 section 6.1), and a broken signature of some other domain says nothing about AWS's: only a bad
# result for the From's organisation (or one that names no domain) outweighs an aligned pass.
BAD_RESULTS = frozenset({"fail", "temperror", "permerror"})


def _dmarc_problem(results: list[AuthResult], domain: str) -> str | None:
    dmarc = [r for r in results if r.method == "dmarc"]
    if not dmarc:
        return "Your mail boundary recorded no DMARC result."
    bad = [r for r in dmarc if r.result in BAD_RESULTS]
    if bad:
        return f"DMARC did not pass (dmarc={bad[0].result})."
    passed = [r for r in dmarc if r.result == "pass"]
    if not passed:
        return f"DMARC did not pass (dmarc={dmarc[0].result})."
    checked = [r.props.get("header.from", domain).rstrip(".") for r in passed]
    if domain not in checked:
        return f"DMARC passed for {checked[0]}, but the From address is on {domain}."
    return None


def _dkim_problem(results: list[AuthResult], organisation: str, policy: TrustPolicy) -> str | None:
    dkim = [(r, r.props.get("header.d") or r.props.get("header.i", "").rpartition("@")[2]) for r in results
            if r.method == "dkim"]
    domains = [d for r, d in dkim if r.result == "pass"]
    aligned = any(d and policy.organisation(d) == organisation for d in domains)
    bad = [d for r, d in dkim if r.result in BAD_RESULTS and (not d or policy.organisation(d) == organisation)]
    if aligned and bad:
        return f"A DKIM signature of {bad[0] or 'the sender'} failed, which outweighs the one that passed."
    if aligned:
        return None
    if not domains:
        return "No DKIM signature passed."
    return f"DKIM passed only for {', '.join(sorted(set(domains)))}, not for {organisation} as the From address needs."


def _no_trusted_header(values: list[str], policy: TrustPolicy) -> str:
    if not policy.authserv_ids:
        return "No trusted mail boundary is configured, so no mail can be verified."
    if not values:
        return "The mail has no Authentication-Results header from your mail boundary."
    authserv, _ = parse_authentication_results(values[0])
    shown = authserv or "a server without an id"
    return f"The newest Authentication-Results header was written by {shown}, not by your mail boundary."


def _foreign_domain(name: str, domain: str, policy: TrustPolicy) -> str:
    shown = display_domain(domain)
    if owner := owned_by_aws(domain):
        return (f"{shown} belongs to AWS ({owner}) but is not in ROOTMAIL_AWS_SENDER_DOMAINS; add it there if AWS "
                "root mail comes from it.")
    alike = lookalike_of(domain, policy.aws_domains)
    if alike:
        return f"The sender's domain {shown} imitates {alike}; it is not an AWS domain."
    mentions = [d for d in policy.aws_domains if d in name.lower()] or (["AWS"] if _says_aws(name) else [])
    if mentions:
        return f"The display name pretends to be {mentions[0]}, but the mail came from {shown}."
    return f"{shown} is not a domain AWS sends from."


def _says_aws(name: str) -> bool:
    return bool(re.search(r"(?i)\b(aws|amazon)\b", name))


def display_domain(domain: str) -> str:
    """The domain as a reader sees it and as it really is: `аmazon.com (xn--mazon-3ve.com)` for a homoglyph."""
    labels = []
    for label in domain.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
        except (UnicodeError, ValueError):
            labels.append(label)
    shown = ".".join(labels)
    if shown.isascii():
        return shown
    try:
        return f"{shown} ({shown.encode('idna').decode('ascii')})"
    except (UnicodeError, ValueError):
        return f"{shown} ({shown.encode('ascii', 'backslashreplace').decode('ascii')})"
