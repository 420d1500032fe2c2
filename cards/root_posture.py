"""Root posture cards: the organization's figure for admins, a channel's own accounts, and lookup's root section."""
from __future__ import annotations

from cards import text as t
from cards.elements import Element, card, container, execute, facts, fill_sections, heading, line, note, problem, text
from core.root_access.model import CREDENTIAL_KINDS, Posture, TaskKind
from core.root_access.posture import Report

STATUS, FORM, REQUEST = "root.status", "root.form", "root.request"
KIND_NAMES = {"password": "password", "access-keys": "access keys", "mfa": "MFA devices",
              "certificates": "signing certificates"}
MAX_ROWS = 40


def posture_card(report: Report) -> Element:
    """For admins: how many member accounts still have root credentials, which, and which could not be read."""
    summary = report.summary
    if summary.problem:
        return card([container([heading("Root posture could not be read"), text(summary.problem)], style="attention"),
                     line(("Tried", 10), summary.at, isSubtle=True, size="Small")], [_again()])
    exposed, failed = report.exposed, report.failed
    clean = summary.members - len(exposed) - len(failed)
    figure = (f"{len(exposed)} of {summary.members} member account{'s' if summary.members != 1 else ''} still "
              f"{'have' if len(exposed) != 1 else 'has'} root credentials")
    body = [container([heading("AWS root posture"), text(figure, weight="Bolder"),
                       text("Centralized root access: " + (", ".join(summary.features) or "off"), size="Small")],
                      style="warning" if exposed or failed else "good"),
            facts([("Without root credentials", clean), ("With root credentials", len(exposed)),
                   ("Could not be read", len(failed)), ("Management account", summary.management_account or "?")]),
            line(("Audited", 10), summary.at, isSubtle=True, size="Small", spacing="None")]
    sections = [[text("Accounts with root credentials", weight="Bolder", separator=True)] if exposed else [],
                [_row(p) for p in exposed[:MAX_ROWS]],
                [text("Could not be read", weight="Bolder", separator=True)] if failed else [],
                [_failed(p) for p in failed[:MAX_ROWS]]]
    body = fill_sections(body, sections, "More accounts than fit here: lookup <account id> shows one.")
    return card(body, [_again()])


def channel_posture_card(where: str, postures: list[Posture], audited: bool) -> Element:
    """For a channel: the root posture of the accounts whose RootMail addresses it owns, from the last audit."""
    if not audited:
        body = [heading("AWS root posture"), text("RootMail has not audited the organization's root users yet; a "
                                                  "RootMail admin runs root status.")]
        return card(body)
    exposed = [p for p in postures if p.exposed]
    body = [container([heading(f"AWS root posture of {t.clean(where, t.TITLE)}"),
                       text(f"{len(exposed)} of {len(postures)} of your accounts still have root credentials.",
                            weight="Bolder")], style="warning" if exposed else "good")]
    sections = [[_row(p) if p.exposed else _failed(p) if p.error else _clean(p) for p in postures[:MAX_ROWS]]]
    if not postures:
        body.append(note("None of this channel's addresses is linked to an audited AWS account."))
    return card(fill_sections(body, sections, "More accounts than fit here: lookup <account id> shows one."))


def posture_section(posture: Posture | None, account_id: str) -> list[Element]:
    """What `lookup` adds for a linked account: its root posture and the buttons that ask for a root task."""
    items: list[Element] = [text("AWS root user", weight="Bolder")]
    if posture is None:
        items.append(note("Not audited yet (root status audits the organization)."))
    elif posture.error:
        items.append(problem(posture.error))
    else:
        kinds = posture.credentials.kinds()
        items.append(text("Root credentials: " + (", ".join(KIND_NAMES[k] for k in kinds) if kinds else "none"),
                          color="Warning" if kinds else "Good"))
    if posture is not None:
        items.append(line(("Audited", 10), posture.checked_at, isSubtle=True, size="Small", spacing="None"))
    return [container(items, separator=True), request_actions(account_id)]


def request_actions(account_id: str) -> Element:
    """Buttons that ask for a root task on the account (an admin approves it)."""
    account = t.token(account_id, 12)
    return {"type": "ActionSet", "actions": [
        execute("Delete root credentials", REQUEST, {"account_id": account, "task": TaskKind.DELETE_CREDENTIALS.value}),
        execute("Allow password recovery", REQUEST, {"account_id": account, "task": TaskKind.ALLOW_RECOVERY.value}),
        execute("Other root task", FORM, {"account_id": account}),
    ]}


def request_form(account_id: str, recovery_minutes: int) -> Element:
    """Every root task with its options; submitting asks for it (an admin approves)."""
    account = t.token(account_id, 12)
    body = [heading(f"Ask for a root task on AWS account {t.clean(account_id, t.ACCOUNT_ID)}"),
            text("RootMail runs the task in a short root session scoped to the task's own AWS policy, once a RootMail "
                 "admin who is not you approved it."),
            {"type": "Input.ChoiceSet", "id": "task", "label": "Task", "style": "compact", "isRequired": True,
             "value": TaskKind.DELETE_CREDENTIALS.value, "errorMessage": "Choose a task.",
             "choices": [{"title": title, "value": kind.value} for kind, title in _TASKS]},
            {"type": "Input.ChoiceSet", "id": "credentials", "label": "Credentials to delete", "isMultiSelect": True,
             "style": "expanded", "value": ",".join(CREDENTIAL_KINDS),
             "choices": [{"title": KIND_NAMES[k], "value": k} for k in CREDENTIAL_KINDS]},
            {"type": "Input.Text", "id": "target", "label": "Bucket name or queue URL (unlock tasks)", "maxLength": 300},
            {"type": "Input.Number", "id": "minutes", "label": "Recovery window, minutes", "min": 5, "max": 1440,
             "value": recovery_minutes},
            {"type": "Input.Toggle", "id": "remove_after", "title": "Delete the root credentials again when the "
             "recovery window closes", "value": "true", "valueOn": "true", "valueOff": "false"},
            {"type": "Input.Text", "id": "reason", "label": "Why", "maxLength": 300}]
    return card(body, [execute("Ask for approval", REQUEST, {"account_id": account}, associatedInputs="auto",
                               style="positive")])


_TASKS = ((TaskKind.DELETE_CREDENTIALS, "Delete root credentials"),
          (TaskKind.ALLOW_RECOVERY, "Allow password recovery"),
          (TaskKind.UNLOCK_BUCKET, "Unlock an S3 bucket policy"),
          (TaskKind.UNLOCK_QUEUE, "Unlock an SQS queue policy"))


def _row(posture: Posture) -> Element:
    kinds = ", ".join(KIND_NAMES[k] for k in posture.credentials.kinds())
    return container([text(f"{posture.account_name or posture.account_id} ({posture.account_id})", t.TITLE,
                           weight="Bolder"), text(kinds, spacing="None", size="Small")], separator=True)


def _failed(posture: Posture) -> Element:
    return container([text(f"{posture.account_name or posture.account_id} ({posture.account_id})", t.TITLE,
                           weight="Bolder"), problem(posture.error, t.MESSAGE, spacing="None")], separator=True)


def _clean(posture: Posture) -> Element:
    return container([text(f"{posture.account_name or posture.account_id} ({posture.account_id})", t.TITLE),
                      text("no root credentials", size="Small", spacing="None", color="Good")], separator=True)


def _again() -> Element:
    return execute("Audit again", STATUS)
