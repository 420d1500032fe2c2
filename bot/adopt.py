"""The `adopt` admin command: move the root e-mail of existing AWS accounts into RootMail (core.adoption.adopter).

`adopt <account id>` or `adopt --all-unmanaged` answers with a form (owning channel, environment) listing the accounts
whose root e-mail RootMail does not know (the drift of a sync with AWS Organizations); its Start button starts a run.
"""
from __future__ import annotations

import cards
from bot.services import Services
from bot.turn import Turn
from cards.adopt import MAX_OWNERS, adopt_form, owner_label, progress_card, summary
from core.addresses.access import audit_refusal
from core.adoption.states import Adoption, Run
from core.model import Owner
from core.ports import Poster
from core.intake.reveal import Messenger
from core.adoption.reconcile import OrgAccount, SyncFailed
from core.addresses.rules import account_id_problem

Card = dict
ALL = "--all-unmanaged"
MAX_ACCOUNTS = 1000  # per run; run again for the rest
USAGE = "Run adopt <account id> for one account or adopt --all-unmanaged for every account of the " \
        "organization whose root e-mail RootMail does not know."


async def _refusal(services: Services, turn: Turn) -> Card | None:
    if not await services.access.acts_as_admin(turn.person, turn.owner):
        reason = "Only admins can adopt AWS accounts."
        await audit_refusal(services.store, services.clock, turn.person, "adopt", "", reason)
        return cards.error_card("Only admins can adopt accounts",
                                "Ask a RootMail admin, or run adopt in RootMail's admin conversation.")
    if services.adoption is None or services.org_sync is None:
        return cards.error_card("Adoption is not set up", "An admin sets ROOTMAIL_ORG_ROLE_ARN (to list the "
                                "organization's accounts) and ROOTMAIL_ADOPT_ROLE_ARN (a role in the management "
                                "account allowed to change root e-mail addresses).")
    return None


async def _unmanaged(services: Services) -> dict[str, OrgAccount]:
    """Accounts whose root e-mail RootMail does not know, by id, as a sync with AWS Organizations finds them now."""
    drift = await services.org_sync()
    return {account.id: account for account in drift.unknown}


async def adopt(services: Services, turn: Turn) -> Card:
    if refusal := await _refusal(services, turn):
        return refusal
    words = turn.text.split()
    if len(words) != 1:
        return cards.usage_card("What should I adopt?", USAGE, "adopt 123456789012")
    wanted = words[0].replace("-", "") if words[0] != ALL else ALL
    if wanted != ALL and account_id_problem(wanted):
        return cards.error_card("That is not an AWS account id", f"An account id is 12 digits. {USAGE}")
    try:
        unmanaged = await _unmanaged(services)
    except SyncFailed as failed:
        return cards.error_card("Could not list the organization's accounts", str(failed))
    if wanted == ALL:
        accounts = list(unmanaged.values())
    elif wanted in unmanaged:
        accounts = [unmanaged[wanted]]
    else:
        return await _not_unmanaged(services, wanted)
    if not accounts:
        return cards.notice_card("Nothing to adopt", "Every account of the organization already uses a RootMail "
                                 "address as its root e-mail.", style="good")
    owners = await services.store.list_conversations(MAX_OWNERS)
    return adopt_form(services.new_request_id(), accounts[:MAX_ACCOUNTS], owners, turn.owner, services.environments)


async def _not_unmanaged(services: Services, account_id: str) -> Card:
    record = await services.store.get_by_account_id(account_id)
    if record is not None:
        return cards.notice_card("Already in RootMail", f"AWS account {account_id} uses {record.address}, a RootMail "
                                 "address.", [("Address", record.address)], "good")
    return cards.error_card("Not an account to adopt", f"AWS account {account_id} is not in the organization, or its "
                            "root e-mail is already a RootMail address. Run sync to see the organization's drift.")


async def adopt_start(services: Services, turn: Turn) -> Card:
    if refusal := await _refusal(services, turn):
        return refusal
    data = turn.data
    owner = await services.store.get_conversation(str(data.get("owner") or ""))
    environment = str(data.get("environment") or "")
    if owner is None or environment not in services.environments:
        return cards.error_card("Choose the channel and environment",
                                "The form needs the channel that owns the accounts and their environment.")
    ids = [i for i in str(data.get("accounts") or "").split(",") if not account_id_problem(i)]
    try:
        unmanaged = await _unmanaged(services)
    except SyncFailed as failed:
        return cards.error_card("Could not list the organization's accounts", str(failed))
    chosen = [unmanaged[i] for i in dict.fromkeys(ids) if i in unmanaged][:MAX_ACCOUNTS]
    if not chosen:
        return cards.notice_card("Nothing left to adopt", "The root e-mail of these accounts is a RootMail address "
                                 "already, or they left the organization.", style="good")
    run = await services.adoption.start(str(data.get("run") or services.new_request_id())[:64], chosen, owner,
                                        environment, turn.person, turn.owner)
    if run is None:
        return cards.notice_card("Adoption already started", "This form started its adoption before; its progress "
                                 "card shows how it goes.")
    skipped = len(ids) - len(chosen)
    text = (f"RootMail is moving the root e-mail of {len(chosen)} AWS account{'s' if len(chosen) != 1 else ''} to "
            f"addresses owned by {owner_label(owner)}. The progress card shows each account.")
    if skipped:
        text += f" {skipped} no longer needed it (their root e-mail is RootMail's already, or they left)."
    return cards.notice_card("Adoption started", text, [("Accounts", str(len(chosen))), ("Run", run.id)])


class CardBoard:
    """core.adoption.adopter.Board: the progress card posted once, then updated in place (update_activity)."""

    def __init__(self, poster: Poster, messenger: Messenger):
        self.poster, self.messenger = poster, messenger

    async def post(self, where: Owner, run: Run, items: list[Adoption]) -> str:
        return await self.poster.post(where, progress_card(run, items), summary(run, items))

    async def update(self, where: Owner, activity_id: str, run: Run, items: list[Adoption]) -> None:
        await self.messenger.update(where, activity_id, progress_card(run, items), summary(run, items))


COMMANDS = {"adopt": adopt}
ACTIONS = {"adopt.start": adopt_start}
