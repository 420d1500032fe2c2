"""The last check before a mail card leaves RootMail: no post carries the code or link sealed for a mail it shows.

Redaction hides codes and links when a mail is stored; this guard does not trust that it always did. Every post and
card update of mail passes here (core.delivery.courier, core.intake.reveal) with the mails it carries: each sealed
secret is opened, and a card containing the code (also spread as "482 913" or over lines), the link, one of its query values or any
12 characters in a row of a long one (a hard-wrapped tail) is redacted before it goes, and the event is logged by mail
key, never with the value. Only the 1:1 Reveal card, which exists to carry the secret, does not pass here.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

from core.intake.inspection import secret_context
from core.intake.secret_finder import LINK, SPREAD
from core.intake.secrets_box import SecretBox, SecretUnreadable
from core.model import InboundMail

logger = logging.getLogger(__name__)

HIDDEN = "[hidden]"
WINDOW = 12  # this many characters in a row of a link's query value count as a part of it; shorter values
# ("type=RootUser") are the page's parameters, not its secret


@dataclass(frozen=True)
class _Forbidden:
    whole: tuple[re.Pattern[str], ...]
    windows: frozenset[str]

    def spans(self, text: str) -> list[tuple[int, int]]:
        spans = [m.span() for pattern in self.whole for m in pattern.finditer(text)]
        if self.windows:
            spans += [(i, i + WINDOW) for i in range(len(text) - WINDOW + 1) if text[i:i + WINDOW] in self.windows]
        return spans


class LeakGuard:
    def __init__(self, box: SecretBox | None):
        self.box = box

    def clean(self, card: dict[str, Any], mails: Iterable[InboundMail]) -> dict[str, Any]:
        """The card as it may be posted: unchanged, or with every piece of a sealed secret replaced."""
        mails = [mail for mail in mails if mail.secret]
        forbidden = [f for f in map(self._forbidden, mails) if f is not None]
        if not forbidden:
            return card
        hits: list[int] = []
        cleaned = _walk(card, lambda text: _scrub(text, forbidden, hits))
        if hits:
            logger.warning("a card carried a sealed code or link; redacted before posting",
                           extra={"mail_keys": [m.key for m in mails], "places": len(hits)})
        return cleaned

    def _forbidden(self, mail: InboundMail) -> _Forbidden | None:
        if self.box is None:
            return None
        try:
            value = self.box.open(mail.secret, secret_context(mail.key))
        except SecretUnreadable:
            logger.warning("a sealed secret could not be opened to check a card", extra={"mail_key": mail.key})
            return None
        if not value:
            return None
        if mail.secret_kind != LINK:  # a code, also with single spaces or hyphens between its characters
            return _Forbidden((re.compile(SPREAD.join(map(re.escape, value))),), frozenset())
        whole = [re.compile(re.escape(value))]
        windows: set[str] = set()
        for _, part in parse_qsl(_query(value), keep_blank_values=True):
            if len(part) < WINDOW or part.lower() == mail.address.lower():  # the card names its address anyway
                continue
            whole.append(re.compile(re.escape(part)))
            windows.update(part[i:i + WINDOW] for i in range(len(part) - WINDOW + 1))
        return _Forbidden(tuple(whole), frozenset(windows))


def _query(url: str) -> str:
    try:
        return urlsplit(url).query
    except ValueError:
        return url.partition("?")[2]


def _scrub(text: str, forbidden: list[_Forbidden], hits: list[int]) -> str:
    spans = sorted(span for f in forbidden for span in f.spans(text))
    if not spans:
        return text
    hits.append(len(spans))
    pieces, last = [], 0
    for start, end in spans:
        if start < last:  # overlaps the part just hidden
            last = max(last, end)
            continue
        pieces += [text[last:start], HIDDEN]
        last = end
    return "".join(pieces) + text[last:]


def _walk(value: Any, scrub) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _walk(item, scrub) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, scrub) for item in value]
    return value
