"""The root task card: request, approval, the AssumeRoot session it ran in, and the result (updated in place)."""
from __future__ import annotations

from cards import text as t
from cards.elements import Element, card, container, execute, facts, heading, line, note, text
from core.root_access.model import Task, TaskKind, TaskState, TITLES

APPROVE, DECLINE, SHOW = "root.approve", "root.decline", "root.task"
STYLE = {TaskState.REQUESTED: "accent", TaskState.APPROVED: "accent", TaskState.DONE: "good",
         TaskState.FAILED: "attention", TaskState.DECLINED: "warning", TaskState.EXPIRED: "warning"}
STATE_WORDS = {TaskState.REQUESTED: "waiting for an admin's approval", TaskState.APPROVED: "approved, running",
               TaskState.DONE: "done", TaskState.FAILED: "failed", TaskState.DECLINED: "declined",
               TaskState.EXPIRED: "expired: nobody approved it in time"}


def task_card(task: Task, *, decide: bool = False, banner: str = "", good: bool = True) -> Element:
    """`decide`: show Approve and Decline while the task waits (the admins' copy); `banner`: an answer on top."""
    body: list[Element] = []
    if banner:
        body.append(container([text(banner, weight="Bolder")], style="good" if good else "warning"))
    body += [container([heading(f"Root task: {TITLES[task.kind]}"),
                        text(f"AWS account {task.account_name or task.account_id} ({task.account_id}): "
                             f"{STATE_WORDS[task.state]}", weight="Bolder")], style=STYLE[task.state]),
             facts(_what(task)),
             text("Request", weight="Bolder", separator=True),
             line(("Asked by", 10), (task.requester.name or task.requester.id, t.PERSON), ("on", 4),
                  task.requested_at, spacing="None")]
    if task.reason:
        body.append(text(f"Why: {task.reason}", spacing="None", size="Small"))
    body += _approval(task) + _session(task) + _result(task)
    actions = [execute("Approve", APPROVE, {"task": t.token(task.id, 40)}, style="positive"),
               execute("Decline", DECLINE, {"task": t.token(task.id, 40)}, style="destructive")] \
        if decide and task.state is TaskState.REQUESTED else [execute("Refresh", SHOW, {"task": t.token(task.id, 40)})]
    return card(body, actions)


def summary(task: Task) -> str:
    return f"Root task {TITLES[task.kind].lower()} on {task.account_id}: {task.state.value}"


def _what(task: Task) -> list[tuple[str, object, int]]:
    rows: list[tuple[str, object, int]] = [("Task id", task.id, 40), ("Task policy", task.policy, 60)]
    if task.address:
        rows.append(("Root address", task.address, t.ADDRESS))
    if task.kind is TaskKind.DELETE_CREDENTIALS:
        rows.append(("Credentials", ", ".join(task.credentials), 80))
    elif task.kind is TaskKind.ALLOW_RECOVERY:
        rows.append(("Recovery window", f"{task.window_minutes} minutes after approval", 60))
        rows.append(("Afterwards", "delete the root credentials again" if task.remove_after
                     else "keep the new password", 60))
    else:
        rows.append(("Bucket" if task.kind is TaskKind.UNLOCK_BUCKET else "Queue", task.target, 300))
    return rows


def _approval(task: Task) -> list[Element]:
    if task.approver is None or task.decided_at is None:
        return [note("An admin who is not the requester approves it." if task.state is TaskState.REQUESTED
                     else "Nobody decided it.", spacing="None")] if not task.final else []
    verb = "Declined by" if task.state is TaskState.DECLINED else "Approved by"
    return [text("Approval", weight="Bolder", separator=True),
            line((verb, 12), (task.approver.name or task.approver.id, t.PERSON), ("on", 4), task.decided_at,
                 spacing="None")]


def _session(task: Task) -> list[Element]:
    session = task.session
    if session is None:
        return [text("Root session", weight="Bolder", separator=True),
                note("No root session was opened." if task.final else "Opened once the task is approved.",
                     spacing="None")]
    rows = [("Task policy", session.policy, 60), ("Duration asked", f"{session.seconds} s", 20),
            ("Session name", session.name, 64)]
    items = [text("Root session (sts:AssumeRoot)", weight="Bolder", separator=True), facts(rows),
             line(("Opened", 10), session.started_at, isSubtle=True, size="Small", spacing="None")]
    if session.expires_at is not None:
        items.append(line(("Expires", 10), session.expires_at, isSubtle=True, size="Small", spacing="None"))
    items.append(note("In CloudTrail, the AssumeRoot event's userIdentity.arn ends with the session name.",
                      spacing="None"))
    return items


def _result(task: Task) -> list[Element]:
    if not task.result:
        return []
    items = [text("Result", weight="Bolder", separator=True),
             text(task.result, color="Attention" if task.state is TaskState.FAILED else "Default", spacing="None")]
    if task.window_until is not None:
        items.append(line((f"Only {task.requester.name or task.requester.id} may reveal the reset link, until", 160),
                          task.window_until, spacing="Small"))
        items.append(note("Next: open the root sign-in page, choose Forgot password and enter the root address. "
                          "AWS mails the reset link there; RootMail posts the mail here with a Reveal button.",
                          spacing="None"))
    if task.follow_up:
        state, _, detail = task.follow_up.partition(": ")
        words = {"pending": "The root credentials are deleted again when the window closes.",
                 "done": f"Window closed; root credentials deleted again: {detail}",
                 "failed": f"Window closed; deleting the root credentials again failed: {detail}"}
        items.append(text(words.get(state, task.follow_up), size="Small", spacing="None"))
    return items
