"""Adoption cards: the form that picks the owning channel, and the live progress card of a run."""
from __future__ import annotations

from cards import text as t
from cards.elements import (Element, card, container, execute, facts, fill_sections, heading, line, note, problem,
                            text)
from core.adoption.states import Adoption, Run, Step, tally
from core.model import Owner
from core.adoption.reconcile import OrgAccount
from core.addresses.rules import ENVIRONMENTS

START = "adopt.start"
MAX_ROWS = 10  # per section; the rest is counted
MAX_OWNERS = 100  # choices in the owner list
ACCOUNT_IDS = 13 * 1000  # characters of account ids the Start button carries (1000 accounts)

INTRO = ("For each account RootMail allocates a new root e-mail address owned by the channel you pick, asks AWS to "
         "move the root e-mail there, takes the code AWS sends to that address out of its own mail and accepts it. "
         "Nobody sees the codes. Afterwards the account's root mail is posted in that channel.")


def adopt_form(run_id: str, accounts: list[OrgAccount], owners: list[Owner], here: Owner,
               environments: tuple[str, ...] = ENVIRONMENTS) -> Element:
    many = len(accounts) != 1
    body = [heading(f"Adopt {len(accounts)} AWS account{'s' if many else ''} into RootMail"), text(INTRO)]
    body.append(facts([(_account(a), f"{a.email} ({a.state.lower()})", t.FACT_VALUE) for a in accounts[:MAX_ROWS]]))
    if len(accounts) > MAX_ROWS:
        body.append(note(f"and {len(accounts) - MAX_ROWS} more", spacing="None"))
    body += [_owners(owners, here), _environment(environments)]
    ids = ",".join(a.id for a in accounts)
    start = execute("Start adoption", START, {"run": t.token(run_id, 64), "accounts": t.token(ids, ACCOUNT_IDS)},
                    associatedInputs="auto", style="positive")
    return card(body, [start])


def _owners(owners: list[Owner], here: Owner) -> Element:
    """Channels first, then group chats; personal chats only for the admin's own (others' cannot be named)."""
    offered = [o for o in owners[:MAX_OWNERS] if not o.conversation_id.startswith("a:")
               or o.conversation_id == here.conversation_id]
    ordered = sorted(offered, key=lambda o: (not o.team_id, owner_label(o).lower()))
    element: Element = {
        "type": "Input.ChoiceSet", "id": "owner", "label": "Channel that owns the adopted accounts", "style": "compact",
        "isRequired": True, "errorMessage": "Choose the channel that owns the accounts.",
        "choices": [{"title": t.clean(owner_label(o), t.TITLE), "value": t.token(o.conversation_id)} for o in ordered],
    }
    if any(o.conversation_id == here.conversation_id for o in ordered) and here.team_id:
        element["value"] = t.token(here.conversation_id)
    return element


def _environment(environments: tuple[str, ...]) -> Element:
    return {"type": "Input.ChoiceSet", "id": "environment", "label": "Environment", "style": "compact",
            "isRequired": True, "errorMessage": "Choose the environment.", "value": t.token(environments[0], 40),
            "choices": [{"title": t.clean(e, t.ENVIRONMENT), "value": t.token(e, t.ENVIRONMENT)} for e in environments]}


def owner_label(owner: Owner) -> str:
    return " / ".join(p for p in (owner.team_name, owner.name) if p) or owner.conversation_id


# --- the progress card -----------------------------------------------------------------------------------------------
WAITING_WORDS = {Step.QUEUED: "queued", Step.ASKING: "asking AWS for the code", Step.WAITING: "waiting for the code",
                 Step.ACCEPTING: "accepting the code"}


def progress_card(run: Run, items: list[Adoption]) -> Element:
    counts = tally(items)
    ordered = sorted(items, key=lambda i: (i.account_name.lower(), i.account_id))
    moving = [i for i in ordered if not i.final and (i.step is not Step.QUEUED or i.reason)]  # started, or retrying
    if run.finished_at is None:
        head = container([heading(f"Adopting {run.accounts} AWS account{'s' if run.accounts != 1 else ''}"),
                          text(f"Moving their root e-mail to RootMail addresses owned by {run.owner_name}. The "
                               "codes AWS sends are used by RootMail and never shown.")], style="accent")
    else:
        style = "good" if not counts[Step.FAILED] else "warning"
        head = container([heading(f"Adopted {counts[Step.DONE]} of {run.accounts} AWS accounts"),
                          text(f"Their root mail now comes to {run.owner_name}." if counts[Step.DONE] else
                               "No account was moved.")], style=style)
    body = [head, facts([("Done", counts[Step.DONE]), ("Waiting", len(moving)),
                         ("Queued", sum(not i.final for i in items) - len(moving)),
                         ("Failed", counts[Step.FAILED]), ("Owner", run.owner_name),
                         ("Environment", run.environment), ("Started by", run.by_name or run.by)]),
            _times(run)]
    if run.aborted:
        body.append(problem(run.aborted, 600))
    sections = [
        _section("Failed", [(_item(i), i.reason) for i in ordered if i.step is Step.FAILED]),
        _section("Waiting", [(_item(i), _waiting(i)) for i in moving]),
        _section("Done", [(_item(i), f"now {i.address}" + (f"; {i.reason}" if i.reason else ""))
                          for i in ordered if i.step is Step.DONE]),
    ]
    return card(fill_sections(body, sections, "The card is full; the audit of each address has the rest."))


def _times(run: Run) -> Element:
    if run.finished_at is None:
        return line(("Started", 10), run.started_at, isSubtle=True, size="Small", spacing="None")
    took = _duration(run.finished_at - run.started_at if run.finished_at >= run.started_at else None)
    return line(("Finished", 10), run.finished_at, (f"after {took}", 40), isSubtle=True, size="Small",
                spacing="None")


def _duration(span) -> str:
    if span is None:
        return "a while"
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _waiting(item: Adoption) -> str:
    words = WAITING_WORDS.get(item.step, item.step.value)
    if item.address:
        words += f" at {item.address}"
    return f"{words}; {item.reason}" if item.reason else words


def _section(title: str, rows: list[tuple[str, str]]) -> list[Element]:
    if not rows:
        return []
    shown = rows[:MAX_ROWS]
    items = [text(f"{title} ({len(rows)})", weight="Bolder", separator=True),
             facts([(left, right, t.FACT_VALUE) for left, right in shown])]
    if len(rows) > len(shown):
        items.append(note(f"and {len(rows) - len(shown)} more", spacing="None"))
    return [container(items)]


def _account(account: OrgAccount) -> str:
    return f"{account.name[:30]} ({account.id})" if account.name else account.id


def _item(item: Adoption) -> str:
    return f"{item.account_name[:30]} ({item.account_id})"


def summary(run: Run, items: list[Adoption]) -> str:
    counts = tally(items)
    return f"Adoption: {counts[Step.DONE]} done, {counts[Step.FAILED]} failed of {run.accounts}"
