"""Real AWS mail and real AWS-themed phishing (tests/mails/real, provenance.json) through RootMail's whole pipeline.

Each mail is parsed, inspected (sender check, kind, severity, account id, sealed secret), stored and forwarded by the
forwarder with the real cards, to a poster that records every card. The per-kind table is printed (pytest -s shows
it; README's protection section quotes it). Fails below 95 % of genuine mails filed under their labelled kind and
severity, on any genuine mail quarantined, any phishing mail reaching a channel, any secret or sealed link in a card.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from cards.digest import MailCards
from cards.mail import mail_card
from cards.protection import quarantine_card
from core.delivery.forwarding import Forwarder
from core.delivery.lanes import LaneSettings
from core.intake.ingest import ingest
from core.intake.inspection import Inspector, secret_context
from core.intake.leak_guard import LeakGuard
from core.intake.sender_trust import TrustPolicy
from core.model import MailState, Owner
from crypto.box import AesGcmBox
from mail.mime import parse_message
from storage.sqlite import open_sqlite
from tests.contract.conftest import TEAM, address
from tests.paths import MAILS, ROOT
from tests.fakes.poster import RecordingPoster

REAL = MAILS / "real"
ENTRIES = json.loads((REAL / "provenance.json").read_text())
NOW = datetime.now(timezone.utc)  # the clock the pipeline is given; nothing in the corpus expires
ADMINS = Owner("19:admins@thread.tacv2", "RootMail admins")
TO = "aws-0042@rootmail.example"
MIN_ACCURACY = 0.95
# Kinds RootMail keeps although no public copy of such a mail was found (searched: GitHub code and issues, AWS
# documentation, blog posts, Q&A pages). Their rules stay subject-only until a real sample says otherwise.
NO_PUBLIC_SAMPLE = frozenset({"account_closed", "account_reinstated"})


def test_the_corpus_is_as_large_and_as_documented_as_promised():
    genuine = [e for e in ENTRIES if e["genuine"]]
    phishing = [e for e in ENTRIES if not e["genuine"]]
    assert len(genuine) >= 40 and len(phishing) >= 8
    assert sorted(e["file"] for e in ENTRIES) == sorted(
        str(p.relative_to(REAL)) for p in REAL.rglob("*.eml")), "every mail has one provenance entry"
    for entry in ENTRIES:
        assert entry["source"] and entry["note"] and entry["faithful"], entry["file"]
        assert entry["faithful"] in ("verbatim", "quoted in part") or entry["faithful"].startswith("rebuilt"), entry
    from core.intake.aws_mail_rules import RULES
    kinds = {r.kind for r in RULES} | {"other"}
    assert kinds - NO_PUBLIC_SAMPLE == {e["kind"] for e in genuine} - NO_PUBLIC_SAMPLE, "every kind has a real example"
    assert not NO_PUBLIC_SAMPLE & {e["kind"] for e in genuine}, "a sample was found: take the kind off the list"


@pytest.fixture
async def pipeline(tmp_path):
    async with open_sqlite(tmp_path / "corpus.db") as store:
        await store.create_address(address(TO))
        await store.save_conversation(TEAM)
        await store.save_conversation(ADMINS)
        box = AesGcmBox([bytes(range(32))])
        inspector = Inspector(TrustPolicy(("mx.rootmail.example", "exchange-online")), box, timedelta(minutes=15))
        poster = RecordingPoster()
        forwarder = Forwarder(store, poster, lambda: NOW, mail_card, "corpus-1", ADMINS.conversation_id,
                              quarantine=quarantine_card, cards=MailCards(mail_card, quarantine_card),
                              guard=LeakGuard(box), lanes=LaneSettings(digest_threshold=0, per_conversation=(), shared=()))
        yield store, inspector, box, poster, forwarder


async def test_real_aws_mail_is_filed_right_and_phishing_never_reaches_a_channel(pipeline):
    store, inspector, box, poster, forwarder = pipeline
    keys, secrets = {}, {}
    for entry in ENTRIES:
        mail = parse_message((REAL / entry["file"]).read_bytes())
        [record] = await ingest(store, lambda: NOW, mail, [TO], inspector)
        keys[entry["file"]] = record.key
        if record.secret:
            secrets[entry["file"]] = box.open(record.secret, secret_context(record.key))
    await forwarder.run_once()

    table: dict[str, Counter] = defaultdict(Counter)
    wrong, quarantined, leaked, escaped, missing = [], [], [], [], []
    for entry in ENTRIES:
        stored = await store.get_mail(keys[entry["file"]])
        conversation, card = _post_of(poster, stored.activity_id)
        if not entry["genuine"]:
            if stored.state is not MailState.QUARANTINED or conversation != ADMINS.conversation_id:
                escaped.append(f"{entry['file']}: {stored.state.value} to {conversation}")
            continue
        right = (stored.kind, stored.severity) == (entry["kind"], entry["severity"])
        table[entry["kind"]]["mails"] += 1
        table[entry["kind"]]["right"] += right
        if not right:
            wrong.append(f"{entry['file']}: {stored.kind}/{stored.severity}, labelled {entry['kind']}/{entry['severity']}")
        if stored.state is not MailState.FORWARDED or conversation != TEAM.conversation_id:
            quarantined.append(f"{entry['file']}: {stored.state.value} ({stored.verdict_reason})")
        if (stored.account_id or None) != entry["account_id"]:
            wrong.append(f"{entry['file']}: account id {stored.account_id!r}, labelled {entry['account_id']!r}")
        if (entry["secret"] or None) != (stored.secret_kind or None):
            missing.append(f"{entry['file']}: secret {stored.secret_kind!r}, labelled {entry['secret']!r}")
        value = secrets.get(entry["file"])
        if value and _carries(card, value):
            leaked.append(entry["file"])

    genuine = sum(c["mails"] for c in table.values())
    right = sum(c["right"] for c in table.values())
    per_kind = "\n".join(["| kind | mails | filed right |", "|---|---:|---:|"]
                         + [f"| {kind} | {table[kind]['mails']} | {table[kind]['right']} |" for kind in sorted(table)]
                         + [f"| all genuine | {genuine} | {right} ({right / genuine:.0%}) |",
                            f"| phishing quarantined | {len(ENTRIES) - genuine} | {len(ENTRIES) - genuine - len(escaped)} |"])
    print(f"\nReal corpus: {genuine} genuine AWS mails, {len(ENTRIES) - genuine} phishing\n\n{per_kind}")
    print("\n".join(wrong + missing))

    assert right / genuine >= MIN_ACCURACY, wrong
    assert quarantined == [], "genuine AWS mail must never be quarantined"
    assert escaped == [], "phishing must never reach a team's channel"
    assert leaked == [], "no posted card may carry a code or link"
    assert missing == []
    assert per_kind in (ROOT / "README.md").read_text(), "README's protection section quotes this table as it is"


def _post_of(poster: RecordingPoster, activity_id: str) -> tuple[str, dict]:
    return poster.posted[int(activity_id.removeprefix("activity-")) - 1][:2] if activity_id else ("", {})


def _carries(card: dict, secret: str) -> bool:
    """The secret, or for a link any of its query values, anywhere in the card as posted."""
    text = json.dumps(card, ensure_ascii=False)
    query = secret.partition("?")[2]
    parts = [secret] + [v for _, _, v in (p.partition("=") for p in query.split("&")) if len(v) >= 12]
    return any(part in text for part in parts)
