"""Centralized root access in Teams: `root status`, `root-task <account id> <task> ...`, the approval buttons, and the
root posture `lookup` shows for a linked account. Registered into bot.handlers' command table by `extend`.

    root status                                   the organization's root posture (admins; a channel: its accounts)
    root task <task id>                           one task's card
    root-task <account id> delete-credentials [password|access-keys|mfa|certificates|all ...]
    root-task <account id> allow-recovery [--minutes N] [--remove-after]
    root-task <account id> unlock-bucket <bucket>
    root-task <account id> unlock-queue <queue name or URL>
                                                  any of them with --reason "why"; an admin who is not you approves
"""
from __future__ import annotations

import asyncio
import logging
import shlex
from dataclasses import replace
from typing import Any, Awaitable, Callable

import cards
from bot.services import Services
from bot.turn import Answer, Turn
from cards.protection import refusal_card
from cards.root_posture import channel_posture_card, posture_card, posture_section, request_form
from cards.root_tasks import task_card
from core.addresses import registry
from core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from core.ports import PostFailed
from core.root_access.api import RootAccessError
from core.root_access.model import Actor, TaskState
from core.root_access.requests import draft

logger = logging.getLogger(__name__)

Card = dict[str, Any]
QUICK = 8.0  # seconds `root status` waits for an audit before answering that the card follows
Handler = Callable[[Services, Turn], Awaitable[Card]]
USAGE = ("root-task <account id> delete-credentials [password|access-keys|mfa|certificates|all], allow-recovery "
         "[--minutes N] [--remove-after], unlock-bucket <bucket> or unlock-queue <queue name or URL>; add --reason "
         "\"why\". An admin who is not you approves.")


def _actor(turn: Turn) -> Actor:
    return Actor(turn.person.id, turn.person.name, turn.person.aad_object_id)


def _not_set_up() -> Card:
    return cards.error_card("Root access is not set up", "An admin sets ROOTMAIL_ROOT_ROLE_ARN to RootMail's role in "
                            "the AWS management account (or the IAM delegated administrator); the README says how.")


async def root(services: Services, turn: Turn) -> Card:
    words = _words(turn.text)
    if words[:1] == ["task"] and len(words) == 2:
        return await show_task(services, Turn(turn.owner, turn.person, turn.conversation_type, "", {"task": words[1]}))
    if words and words != ["status"]:
        return cards.error_card("Which root command?", "root status shows the AWS root posture; root task <id> shows "
                                "a root task; " + USAGE)
    return await status(services, turn)


async def status(services: Services, turn: Turn) -> Card:
    if services.root is None:
        return _not_set_up()
    if not await services.access.acts_as_admin(turn.person, turn.owner):
        return await _channel_status(services, turn)
    audit = services.root.audit()
    try:  # a small organization is audited within the turn; a large one's card is posted when it is done
        await asyncio.wait_for(asyncio.shield(audit), QUICK)
    except asyncio.TimeoutError:
        audit.add_done_callback(lambda done: asyncio.ensure_future(_post_when_done(services, turn.owner, done)))
        return cards.notice_card("Auditing the organization's root users",
                                 "RootMail reads every member account's root user, a few at a time; the posture card "
                                 "is posted here when it is done.")
    except RootAccessError:
        pass  # the audit recorded why it could not run; the card says so
    return posture_card(await services.root.auditor.last())


async def _post_when_done(services: Services, where, done: asyncio.Task) -> None:
    if done.cancelled() or services.poster is None:
        return
    if done.exception() is not None and not isinstance(done.exception(), RootAccessError):
        logger.error("the root posture audit failed", exc_info=done.exception())
        return
    try:
        await services.poster.post(where, posture_card(await services.root.auditor.last()), "AWS root posture")
    except PostFailed as failure:
        logger.warning("could not post the root posture", extra={"reason": failure.reason})


async def _channel_status(services: Services, turn: Turn) -> Card:
    """Not an admin: the accounts this conversation owns, from the last audit (only admins ask AWS)."""
    audited = await services.root.book.summary() is not None
    postures, token = [], None
    while True:
        page = await services.store.list_by_owner(turn.owner.conversation_id, 200, token)
        for record in page.items:
            if record.account_id and (posture := await services.root.book.posture(record.account_id)):
                postures.append(posture)
        if page.continuation is None:
            break
        token = page.continuation
    return channel_posture_card(turn.owner.name or "this conversation", postures, audited)


async def root_task(services: Services, turn: Turn) -> Card:
    """The command: `root-task <account id> <task> [target | kinds] [--minutes N] [--remove-after] [--reason why]`."""
    words = _words(turn.text)
    if len(words) < 2:
        return cards.error_card("Which root task?", USAGE)
    options: dict[str, Any] = {"account_id": words[0], "task": words[1], "rest": []}
    rest = iter(words[2:])
    for word in rest:
        if word == "--remove-after":
            options["remove_after"] = True
        elif word in ("--minutes", "--reason"):
            options[word[2:]] = next(rest, "")
        else:
            options["rest"].append(word)
    data = {"account_id": options["account_id"], "task": options["task"], "reason": options.get("reason", ""),
            "minutes": options.get("minutes"), "remove_after": options.get("remove_after", False),
            "credentials": ",".join(options["rest"]), "target": " ".join(options["rest"])}
    return await request(services, Turn(turn.owner, turn.person, turn.conversation_type, "", data))


async def request(services: Services, turn: Turn) -> Card:
    """From the command, a lookup card's button or the form: ask for a root task; admins get the approval card."""
    if services.root is None:
        return _not_set_up()
    data, root_services = turn.data, services.root
    try:
        minutes = data.get("minutes")
        wanted = draft(str(data.get("account_id") or ""), str(data.get("task") or ""),
                       target=str(data.get("target") or ""),
                       credentials=[c for c in str(data.get("credentials") or "").replace(" ", ",").split(",") if c],
                       window_minutes=int(minutes) if str(minutes or "").strip().isdigit() else None,
                       remove_after=str(data.get("remove_after")).lower() == "true",
                       reason=str(data.get("reason") or ""), region=root_services.region,
                       default_window=root_services.recovery_minutes)
    except InvalidRequest as invalid:
        return cards.error_card("That root task request is not complete", f"{invalid} {USAGE}")
    try:
        task = await root_services.desk.request(wanted, _actor(turn), turn.owner.conversation_id,
                                               await services.access.acts_as_admin(turn.person, turn.owner))
    except Forbidden as refused:
        return refusal_card("You cannot ask for this root task", str(refused))
    except RootAccessError as refused:
        return refusal_card("AWS would not allow this root task", str(refused))
    return task_card(task, banner="Asked. A RootMail admin who is not you approves it; this card shows how it goes.")


async def form(services: Services, turn: Turn) -> Card:
    if services.root is None:
        return _not_set_up()
    return request_form(str(turn.data.get("account_id") or ""), services.root.recovery_minutes)


async def approve(services: Services, turn: Turn) -> Card:
    return await _decide(services, turn, approve=True)


async def decline(services: Services, turn: Turn) -> Card:
    return await _decide(services, turn, approve=False)


async def _decide(services: Services, turn: Turn, approve: bool) -> Card:
    if services.root is None:
        return _not_set_up()
    desk, task_id = services.root.desk, str(turn.data.get("task") or "")
    admin = await services.access.acts_as_admin(turn.person, turn.owner)
    try:
        task = await (desk.approve if approve else desk.decline)(task_id, _actor(turn), admin)
    except Forbidden as refused:
        task = await desk.book.task(task_id)
        return task_card(task, decide=True, banner=str(refused), good=False) if task else refusal_card(
            "You cannot decide this root task", str(refused))
    except (Conflict, NotFound) as stale:
        task = await desk.book.task(task_id)
        return task_card(task, banner=str(stale), good=False) if task else cards.error_card("No such task", str(stale))
    words = {TaskState.DONE: "Approved and done.", TaskState.FAILED: "Approved; the task failed (see the result).",
             TaskState.APPROVED: "Approved; the task is running. This card is updated when it is done.",
             TaskState.DECLINED: "Declined; nothing was done in AWS."}
    return task_card(task, banner=words.get(task.state, task.state.value), good=task.state is not TaskState.FAILED)


async def show_task(services: Services, turn: Turn) -> Card:
    if services.root is None:
        return _not_set_up()
    task = await services.root.book.task(str(turn.data.get("task") or ""))
    if task is None:
        return cards.error_card("No such root task", "RootMail has no root task with that id.")
    here = turn.owner.conversation_id
    admin = await services.access.acts_as_admin(turn.person, turn.owner)
    if not admin and here not in (task.requested_in, task.owner):
        return refusal_card("Not your root task", "Only the channel that asked, the owning channel, or a RootMail "
                            "admin may see this task.")
    return task_card(task, decide=admin)


def with_posture(handler: Handler) -> Handler:
    """`lookup` with the account's root posture and the buttons that ask for a root task, where the answer is one
    linked address the asker may see."""
    async def lookup(services: Services, turn: Turn) -> Card | Answer:
        answer = await handler(services, turn)
        card = answer.card if isinstance(answer, Answer) else answer
        query = str(turn.data.get("query") or turn.text).strip()
        if services.root is None or not query or not isinstance(card, dict):
            return answer
        found = await registry.lookup(services.store, query)
        if len(found) != 1 or not found[0].account_id or not (
                services.is_admin_conversation(turn.owner.conversation_id)
                or await services.access.may_view(turn.person, turn.owner, found[0])):
            return answer
        posture = await services.root.book.posture(found[0].account_id)
        card = {**card, "body": [*card.get("body", []), *posture_section(posture, found[0].account_id)]}
        return replace(answer, card=card) if isinstance(answer, Answer) else card
    return lookup


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


COMMANDS: dict[str, Handler] = {"root": root, "root-task": root_task}
ACTIONS: dict[str, Handler] = {"root.status": status, "root.form": form, "root.request": request,
                               "root.approve": approve, "root.decline": decline, "root.task": show_task}


def extend(commands: dict[str, Handler], actions: dict[str, Handler]) -> None:
    """Add root access to bot.handlers' tables; lookup (command and button) learns the root posture."""
    commands.update(COMMANDS)
    actions.update(ACTIONS)
    for table in (commands, actions):
        for verb in ("lookup", "find"):
            if verb in table:
                table[verb] = with_posture(table[verb])
