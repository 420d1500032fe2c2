"""Admin cards about the pool: each shared mailbox's fill, aliases gone from Exchange, mailboxes Graph cannot find."""
from __future__ import annotations

from cards import text as t
from cards.elements import BUDGET, Element, card, container, facts, fit, heading, line, note, size, text
from core.addresses.inventory import MailboxStatus
from core.model import Strategy

MAX_MISSING_SHOWN = 10


def pool_status_card(statuses: list[MailboxStatus], problems: dict[str, str] | None = None,
                     synced: bool = False, down: str = "") -> Element:
    """One section per mailbox: free and assigned aliases against its capacity, and what Exchange said; `down` says
    why Exchange could not be read at all."""
    problems = problems or {}
    intro = down or ("Aliases were just read again from Exchange Online." if synced else
                     "Aliases come from the pool file; RootMail does not read Exchange in this setup.")
    body: list[Element] = [heading("Alias pool"), note(intro, spacing="None")]
    if not statuses:
        body.append(text("The pool has no mailboxes. Add shared mailboxes to the pool file."))
        return card(body)
    sections, left_out = fit([_section(s, problems.get(s.mailbox.address)) for s in statuses],
                             BUDGET - size(card(body)) - 200)
    body += sections
    if left_out:
        body.append(note(f"{left_out} more mailboxes do not fit on this card."))
    return card(body)


def _section(status: MailboxStatus, problem: str | None) -> Element:
    mailbox = status.mailbox
    items: list[Element] = [text(mailbox.address, t.MAILBOX, weight="Bolder", fontType="Monospace")]
    if mailbox.strategy is Strategy.PLUS:
        items.append(line(("Plus-addressing: every new address is made up, no aliases to run out of.", 120),
                          size="Small", spacing="None"))
    else:
        percent = round(100 * status.assigned / status.capacity) if status.capacity else 100
        items.append(line((f"{status.free} free, {status.assigned} assigned of {status.capacity} "
                           f"({percent}% used)", 120), spacing="None", **_color(status)))
        rows: list[tuple[str, object]] = []
        if status.report is not None:
            rows += [("In Exchange", status.report.in_exchange), ("New in the last sync", status.report.added),
                     ("Removed (left Exchange while free)", status.report.removed)]
        if status.left_in_mailbox:
            rows.append(("Unrouted mail left in the mailbox", status.left_in_mailbox))
        if rows:
            items.append(facts(rows))
        if status.report is not None and status.report.missing:
            items.append(_missing(status.report.missing))
    if mailbox.state != "active":
        items.append(note(f"State: {mailbox.state}; no new addresses come from it.", spacing="None"))
    if problem:
        items.append(text(f"Could not read it from Exchange: {problem}", t.MESSAGE, color="Attention",
                          size="Small"))
    return container(items, separator=True, spacing="Medium")


def _color(status: MailboxStatus) -> dict[str, str]:
    if status.free == 0:
        return {"color": "Attention", "weight": "Bolder"}
    if status.capacity and status.free < status.capacity // 10:
        return {"color": "Warning"}
    return {}


def _missing(missing: tuple[str, ...]) -> Element:
    shown = ", ".join(missing[:MAX_MISSING_SHOWN])
    more = f" and {len(missing) - MAX_MISSING_SHOWN} more" if len(missing) > MAX_MISSING_SHOWN else ""
    return container([
        text(f"{len(missing)} assigned aliases are no longer in Exchange", weight="Bolder"),  # dark on red: legible
        text(f"{shown}{more}", t.MESSAGE, size="Small", spacing="None", fontType="Monospace"),
        note("Mail to them no longer arrives. They stay assigned and are never handed out again; add them back "
             "in Exchange, or move the accounts to new addresses.", spacing="None"),
    ], style="attention")


def aliases_missing_card(mailbox: str, missing: tuple[str, ...], owners: dict[str, str]) -> Element:
    """Told to admins once per change: assigned aliases that Exchange no longer has for the mailbox."""
    rows = [(alias, owners.get(alias, "no address record"), t.FACT_VALUE) for alias in missing[:MAX_MISSING_SHOWN]]
    body = [
        container([heading("Assigned aliases disappeared from Exchange"),
                   text("Exchange no longer lists these aliases of the shared mailbox, but RootMail gave them out "
                        "as AWS root addresses. Mail AWS sends to them bounces until they are back.", multiline=True)],
                  style="attention"),
        facts([("Shared mailbox", mailbox, t.MAILBOX), ("Missing", len(missing))]),
        facts(rows),
        text("What to do", weight="Bolder", separator=True),
        text("Add the aliases back to the shared mailbox in Exchange Online, for example with PowerShell:"),
        text(f"Set-Mailbox {t.clean(mailbox, t.MAILBOX)} -EmailAddresses @{{add='{t.clean(missing[0], t.ADDRESS)}'}}",
             fontType="Monospace", spacing="Small"),
        note("RootMail never hands these addresses to anyone else."),
    ]
    if len(missing) > MAX_MISSING_SHOWN:
        body.insert(3, note(f"and {len(missing) - MAX_MISSING_SHOWN} more; run pool to see them all."))
    return card(body)


def mailboxes_unresolved_card(problems: list[tuple[str, str]]) -> Element:
    """Told to admins when the set of shared mailboxes RootMail cannot find changes: (mailbox, why) each."""
    rows = [(mailbox, why, t.MESSAGE) for mailbox, why in problems[:MAX_MISSING_SHOWN]]
    body = [
        container([heading("RootMail cannot read some shared mailboxes"),
                   text("Microsoft Graph does not find these pool mailboxes, so mail sent to them and to their aliases "
                        "is not forwarded until they are found. RootMail keeps looking.", multiline=True)],
                  style="attention"),
        facts(rows),
        text("What to do", weight="Bolder", separator=True),
        text("Check that each is a shared mailbox in Exchange Online and that the address in the pool file is one of "
             "its SMTP addresses; or set its graph_id in the pool file to the mailbox's object id or user principal "
             "name. A permission problem names the Graph permissions RootMail needs.", multiline=True),
        note("Run pool to look them up again now."),
    ]
    if len(problems) > MAX_MISSING_SHOWN:
        body.insert(2, note(f"and {len(problems) - MAX_MISSING_SHOWN} more; run pool to see them all."))
    return card(body)
