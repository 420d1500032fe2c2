"""The chat commands RootMail answers, as Teams lists them; the bot's help text can reuse this list."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    description: str


COMMANDS: tuple[Command, ...] = (
    Command("new", "Reserve a unique root e-mail address for a new AWS account. This chat owns it and gets its mail."),
    Command("lookup", "Find an address by AWS account id, address or account name: lookup 123456789012"),
    Command("list", "List the root addresses this chat owns."),
    Command("link", "Record the AWS account an address belongs to: link <address> <12-digit account id>"),
    Command("retire", "Retire an address whose AWS account is closed: retire <address>. It is never reused."),
    Command("transfer", "Move an address to this channel: transfer <address>. Its owner or an admin approves."),
    Command("audit", "Who did what to an address and its mail, and when: audit <address>"),
    Command("help", "Show what RootMail can do."),
)
