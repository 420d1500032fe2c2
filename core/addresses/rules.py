"""The rules an address and a new-address request must obey (AWS root e-mail rules included)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from core.errors import InvalidRequest

AWS_EMAIL_MIN, AWS_EMAIL_MAX = 6, 64
ACCOUNT_NAME_MAX = 50  # AWS Organizations account names are 1-50 characters
PURPOSE_MAX = 500
ENVIRONMENTS = ("production", "staging", "development", "test", "sandbox", "shared")

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(\.{_ATOM})*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def normalize_address(address: str) -> str:
    return address.strip().lower()


def address_problem(address: str) -> str | None:
    """Why this cannot be an AWS root e-mail address, or None if it can."""
    if not address.isascii():
        return "must be ASCII only"
    if not AWS_EMAIL_MIN <= len(address) <= AWS_EMAIL_MAX:
        return f"must be {AWS_EMAIL_MIN}-{AWS_EMAIL_MAX} characters long"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "must look like name@domain"
    if not _LOCAL.match(local):
        return "has characters AWS does not accept before the @"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "has an invalid domain"
    return None


def is_valid_address(address: str) -> bool:
    return address_problem(address) is None


def account_id_problem(account_id: str) -> str | None:
    return None if _ACCOUNT_ID.match(account_id) else "must be exactly 12 digits"


def slugify(text: str, max_length: int) -> str:
    """Lower-case ASCII letters, digits and single dashes; accents folded, the rest dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def plus_address(mailbox: str, account_name: str, suffix: str) -> str:
    """`local+<slug>-<suffix>@domain`, the slug shortened so the whole fits AWS's 64 characters."""
    local, _, domain = mailbox.rpartition("@")
    room = AWS_EMAIL_MAX - len(local) - len(domain) - len(suffix) - 3  # '+', '-', '@'
    slug = slugify(account_name, max(room, 0))
    tag = f"{slug}-{suffix}" if slug else suffix
    return f"{local}+{tag}@{domain}"


@dataclass(frozen=True)
class NewAddressRequest:
    account_name: str
    environment: str
    purpose: str
    account_id: str | None
    request_id: str
    tags: dict[str, str] = field(default_factory=dict)


def parse_new_address_request(values: dict, environments: tuple[str, ...] = ENVIRONMENTS) -> NewAddressRequest:
    """Validate the `new` form; raise InvalidRequest naming every field that is wrong."""
    text = {k: str(values.get(k) or "").strip() for k in ("account_name", "environment", "purpose", "account_id", "request_id")}
    problems: dict[str, str] = {}
    name = text["account_name"]
    if not name:
        problems["account_name"] = "Enter the AWS account name."
    elif len(name) > ACCOUNT_NAME_MAX:
        problems["account_name"] = f"Use at most {ACCOUNT_NAME_MAX} characters (AWS limit)."
    elif not name.isprintable():
        problems["account_name"] = "Use printable characters only."
    if text["environment"] not in environments:
        problems["environment"] = "Choose one of: " + ", ".join(environments) + "."
    if not text["purpose"]:
        problems["purpose"] = "Say what the account is for."
    elif len(text["purpose"]) > PURPOSE_MAX:
        problems["purpose"] = f"Use at most {PURPOSE_MAX} characters."
    account_id = text["account_id"].replace("-", "").replace(" ", "") or None
    if account_id and account_id_problem(account_id):
        problems["account_id"] = "An AWS account id is exactly 12 digits."
    if not text["request_id"] or len(text["request_id"]) > 64:
        problems["request_id"] = "This form is stale; ask for a new one with `new`."
    if problems:
        raise InvalidRequest(problems)
    return NewAddressRequest(name, text["environment"], text["purpose"], account_id, text["request_id"])
