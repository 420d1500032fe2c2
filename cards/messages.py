"""Help, confirmations, friendly errors and the admin notice that an alias pool runs low."""
from __future__ import annotations

from cards import elements as e
from cards import text as t

MAX_FACTS = 12

COMMANDS = (
    ("new", "Get a new root e-mail address for an AWS account; RootMail asks for the details in a form.",
     "new"),
    ("lookup <account id | address | name>", "Show an address, the account it belongs to and its recent mail.",
     "lookup 123456789012"),
    ("list", "List the root addresses this conversation owns.", "list"),
    ("link <address> <account id>", "Record which AWS account uses an address, once AWS created the account.",
     "link aws-0001@example.com 123456789012"),
    ("retire <address>", "Stop using an address. It is never given out again.", "retire aws-0001@example.com"),
    ("transfer <address>", "Run in the channel that should own the address; its owning channel (or an admin) "
     "approves, then its mail and codes come here.", "transfer aws-0001@example.com"),
    ("audit <address>", "Who did what to the address and its mail, and when: reveals, refusals, changes.",
     "audit aws-0001@example.com"),
    ("help", "Show this card.", "help"),
)


INTRO = ("RootMail gives every AWS account a unique root user e-mail address and posts the mail AWS sends to it in "
         "the channel of the team that owns the account.")
HOW_TO_ASK = ("In a channel or group chat start with /rootmail, or @mention RootMail: /rootmail list. In a personal "
              "chat just type the command.")


def help_card(unknown: str | None = None) -> e.Element:
    body = []
    if unknown is not None:
        body.append(e.text(f"I didn't understand {t.quoted(unknown)}.", weight="Bolder"))
    body += [
        e.heading("RootMail"),
        e.text(INTRO),
        *(_command(*command) for command in COMMANDS),
        e.note("Admins also have: pool (aliases per mailbox, read again from Exchange), sync (compare with AWS "
               "Organizations), status (backlog, pool fill, mail source) and adopt <account id | --all-unmanaged> "
               "(move an existing account's root e-mail into RootMail), root status (which member accounts still have "
               "root credentials).", separator=True),
        e.note("Root tasks: root-task <account id> delete-credentials | allow-recovery | unlock-bucket <bucket> | "
               "unlock-queue <queue>, from the channel that owns the account; an admin who is not you approves.",
               spacing="None"),
        e.note(HOW_TO_ASK, separator=True),
    ]
    return e.card(body, [e.execute("New address", "new.form")])


def _start_buttons() -> list[e.Element]:
    return [e.execute("New address", "new.form", style="positive"), e.execute("List", "list"),
            e.execute("Help", "help")]


def welcome_card() -> e.Element:
    """The first card in a conversation: what RootMail is for, in three lines, and where to start."""
    return e.card([e.heading("Hi, I'm RootMail"), e.text(INTRO),
                   e.text("Codes and reset links in that mail stay hidden; someone on the team reveals them "
                          "privately when needed."),
                   e.note(HOW_TO_ASK)], _start_buttons())


def unknown_card(typed: str, suggestion: str = "") -> e.Element:
    """A typo gets a "did you mean" with the corrected command one click away; other words a short pointer."""
    body = [e.text(f"I didn't understand {t.quoted(typed)}.", weight="Bolder")]
    actions = []
    if suggestion:
        body.append(e.text("Did you mean:"))
        body.append(e.text(suggestion, t.QUOTE * 2, fontType="Monospace", spacing="Small"))
        actions.append(e.execute(f"Run {t.clean(suggestion.split()[0], 20)}", "run",
                                 {"text": t.token(suggestion, 500)}, style="positive"))
    body.append(e.note("RootMail knows: " + ", ".join(usage.split()[0] for usage, _, _ in COMMANDS) + "."))
    return e.card(body, [*actions, e.execute("Help", "help")])


def usage_card(title: str, explanation: str, example: str) -> e.Element:
    """A command typed without what it needs: what to add, and an example ready to copy. Not an alarm."""
    return e.card([e.container([e.heading(title), e.text(explanation)], style="accent"),
                   e.text("For example:", spacing="Medium"),
                   e.text(example, t.QUOTE * 2, fontType="Monospace", spacing="Small")],
                  [e.execute("Help", "help")])


def notice_card(title: str, text: str, facts: list[tuple[str, str]] | None = None,
                style: str = "default") -> e.Element:
    """A confirmation (linked, retired) or any other short message; `style` is a container style."""
    items = [e.heading(title), e.text(text, multiline=True)]
    body = [e.container(items, style=style)]
    if facts:
        fact_set = e.facts(facts[:MAX_FACTS])
        fact_set["facts"], _ = e.fit(fact_set["facts"], e.BUDGET - e.size(e.card(body)))
        if fact_set["facts"]:
            body.append(fact_set)
    return e.card(body)


def error_card(title: str, text: str) -> e.Element:
    """What went wrong in words a user can act on; callers pass no stack traces, and none get through here."""
    card = notice_card(title, text, style="attention")
    card["body"].append(e.note("Type help to see what RootMail can do."))
    return card


def pool_low_card(mailbox: str, free: int, threshold: int) -> e.Element:
    free = max(int(free), 0)
    title = "The alias pool is empty" if free == 0 else "The alias pool is running low"
    consequence = ("New addresses now come from the next mailbox in the pool; when none has room, requests fail."
                   if free == 0 else
                   f"RootMail warns once the free aliases drop below {threshold}. When they run out, new addresses "
                   "come from the next mailbox in the pool; when none has room, requests fail.")
    return e.card([
        e.container([e.heading(title), e.text(consequence)], style="attention" if free == 0 else "warning"),
        e.facts([("Shared mailbox", mailbox, t.MAILBOX), ("Free aliases", free), ("Warning below", threshold)]),
        e.text("What to do", weight="Bolder", separator=True),
        e.text("Step 1: Add aliases (proxy addresses) to the shared mailbox in Exchange Online, in the Exchange "
               "admin center or with PowerShell. Exchange allows 400 addresses per mailbox; plan for about 300."),
        e.text(f"Set-Mailbox {t.clean(mailbox, t.MAILBOX)} -EmailAddresses @{{add='aws-0041@example.com'}}",
               fontType="Monospace", spacing="Small"),
        e.text("Step 2: Add the same aliases to this mailbox in RootMail's pool configuration. RootMail adds "
               "them to the pool as free when it next starts."),
    ])


def _command(syntax: str, explanation: str, example: str) -> e.Element:
    return e.container([
        e.text(syntax, weight="Bolder", fontType="Monospace"),
        e.text(explanation, spacing="None"),
        e.note(f"Example: {example}", spacing="None"),
    ], separator=True)
