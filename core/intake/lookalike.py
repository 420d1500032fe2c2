"""Spotting domains made to look like AWS's: homoglyphs, swapped letters, brand names on someone else's domain."""
from __future__ import annotations

import unicodedata

from core.intake.aws_domains import OWNED, owned_by_aws

# Letters from other scripts (and digits) that render like Latin ones; enough for the usual phishing kits.
_CONFUSABLES = str.maketrans({
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0456": "i", "\u0458": "j", "\u0455": "s", "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u04bb": "h",
    "\u0261": "g", "\u0251": "a", "\u03bf": "o", "\u03b1": "a", "\u03bd": "v", "\u03b5": "e", "\u03b9": "i",
    "\u03ba": "k", "\u03c4": "t", "\u03c1": "p", "\u03c5": "u", "\u0131": "i", "\u0269": "i", "\u1d0f": "o",
    "0": "o", "1": "l", "3": "e", "5": "s", "|": "l", "i": "l",
})
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_BRANDS = ("amazon", "aws")
MAX_DISTANCE = 2


def skeleton(domain: str) -> str:
    """What the domain looks like: punycode decoded, compatibility forms folded, look-alike letters mapped."""
    decoded = ".".join(_decode_label(label) for label in domain.lower().split("."))
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", decoded).casefold())
    text = "".join(c for c in folded if not unicodedata.combining(c)).translate(_CONFUSABLES)
    for seq, letter in _SEQUENCES:
        text = text.replace(seq, letter)
    return text


def lookalike_of(domain: str, genuine: tuple[str, ...]) -> str | None:
    """The genuine domain this one imitates, or None. A domain AWS owns (core.intake.aws_domains) imitates nothing:
    signup.aws is two letters from signin.aws and marketplace.aws carries the brand, and both are AWS's."""
    if owned_by_aws(domain, genuine):
        return None
    genuine = tuple(dict.fromkeys((*genuine, *OWNED)))
    shape = skeleton(domain)
    for real in genuine:
        real_shape = skeleton(real)
        if shape == real_shape or shape.endswith("." + real_shape):
            return real
    for real in genuine:
        if _distance(shape, skeleton(real), MAX_DISTANCE) <= MAX_DISTANCE:
            return real
    tokens = shape.replace("-", ".").split(".")
    for brand in _BRANDS:
        if any(token.startswith(brand) for token in tokens):
            return next((g for g in genuine if brand in g), brand)
    return None


def _decode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return label


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (cap + 1) once it must exceed `cap`."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]
