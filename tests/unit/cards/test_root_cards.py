"""Root access cards are valid Teams cards in every state, fit however many accounts there are, and show hostile
text literally."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from cards.root_posture import channel_posture_card, posture_card, posture_section, request_form
from cards.root_tasks import task_card
from core.root_access.book import Summary
from core.root_access.model import Actor, Credentials, Posture, Session, Task, TaskKind, TaskState
from core.root_access.posture import Report
from tests.cardcheck import validate_cards
from tests.cardwalk import text

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
HOSTILE = "[click](https://evil.example) **bold** {{DATE(2020-01-01T00:00:00Z)}} <at>x</at>"


def posture(n: int, **credentials) -> Posture:
    return Posture(f"{100000000000 + n}", f"account-{n} {HOSTILE}", T0, Credentials(**credentials))


def task(state: TaskState, kind: TaskKind = TaskKind.ALLOW_RECOVERY) -> Task:
    base = Task("t1", "222222222222", HOSTILE, kind, Actor("29:bob", f"Bob {HOSTILE}", "aad-bob"), "19:c", T0,
                T0 + timedelta(hours=24), address="aws-0001@example.com", target="payments-logs",
                credentials=("password", "mfa"), window_minutes=30, remove_after=True, reason=HOSTILE, state=state)
    if state is TaskState.REQUESTED:
        return base
    decided = replace(base, approver=Actor("29:alice", "Alice", "aad-alice"), decided_at=T0)
    if state in (TaskState.DONE, TaskState.FAILED):
        return replace(decided, session=Session("IAMCreateRootUserPassword", 300, "rootmail-task-t1", T0,
                                                T0 + timedelta(seconds=300)), result=f"result {HOSTILE}",
                       window_until=T0 + timedelta(minutes=30), follow_up="pending", finished_at=T0)
    return decided


def test_every_root_card_is_valid_and_fits():
    many = [posture(n, password=True, mfa_devices=n % 3) for n in range(500)]
    failed = [replace(posture(n), error=f"AWS refused {HOSTILE}") for n in range(500, 600)]
    report = Report(Summary(T0, ("RootCredentialsManagement", "RootSessions"), "111111111111", 600, 500, 100),
                    many + failed)
    cards = [posture_card(report), posture_card(Report(replace(report.summary, problem=HOSTILE))),
             channel_posture_card(HOSTILE, many[:50], True), channel_posture_card("c", [], False),
             {"type": "AdaptiveCard", "version": "1.5", "body": posture_section(many[0], "222222222222")},
             request_form("222222222222", 60)]
    cards += [task_card(task(state, kind), decide=True, banner=HOSTILE)
              for state in TaskState for kind in TaskKind]
    assert validate_cards(cards) == [[] for _ in cards]  # Teams would take each (size included)
    assert "500 of 600 member accounts still have root credentials" in text(cards[0])
    shown = text(cards[-1])
    assert HOSTILE in shown  # shown literally, never as a link, bold or a date function
    assert "](https://evil.example)" not in str(cards[-1]) and "{{DATE(2020" not in str(cards[-1])


def test_the_approval_buttons_show_only_while_the_task_waits_and_only_on_the_admins_copy():
    verbs = lambda card: {a.get("verb") for a in card.get("actions", [])}  # noqa: E731
    assert verbs(task_card(task(TaskState.REQUESTED), decide=True)) == {"root.approve", "root.decline"}
    assert verbs(task_card(task(TaskState.REQUESTED))) == {"root.task"}
    assert verbs(task_card(task(TaskState.DONE), decide=True)) == {"root.task"}
