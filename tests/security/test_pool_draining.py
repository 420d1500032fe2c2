"""An ordinary user drained the alias pool for good: 25 `new` submits in 0.2 s claimed every free alias, and
addresses are never reused. Now a person and a conversation get a few per hour and may hold only a few unlinked ones;
over a limit they get a refusal card, the refusal is audited and the admin conversation is told once."""
from __future__ import annotations

import asyncio

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import start  # noqa: F401  (fixture)
from tests.integration.test_bot_commands import FORM

CAROL = {"id": "29:carol", "name": "Carol Admin", "aadObjectId": "aad-carol"}
ALIAS_BOX = "aws-root-01@example.com"


async def _submit(rootmail, n: int, where=teams.PLATFORM, user=teams.ALICE) -> dict:
    return await rootmail.execute("new.submit", FORM | {"request_id": f"burst-{user['id']}-{n}",
                                                        "account_name": f"Drain {n}"}, where, user)


async def test_twenty_five_quick_submits_by_one_user_take_only_the_hourly_limit(unsigned):
    rootmail = await unsigned()
    await rootmail.say("help", teams.PERSONAL)  # RootMail knows the admin conversation
    free = await rootmail.store.free_alias_count(ALIAS_BOX)

    answers = await asyncio.gather(*(_submit(rootmail, n) for n in range(25)))
    again = await rootmail.say("new")
    replayed = await _submit(rootmail, next(n for n, a in enumerate(answers) if "Your new AWS" in text(a)))

    refused = [a for a in answers if "You cannot ask for more addresses now" in text(a)]
    assert await rootmail.store.count_addresses() == 5 and len(refused) == 20
    assert await rootmail.store.free_alias_count(ALIAS_BOX) == free - 5
    assert "in the last hour" in text(refused[0]) and "You cannot ask for more" in text(again)
    # a repeated submit still gets its address, shown as the success it is (bot/commands.py, cards/address.py)
    assert "submitted more than once; RootMail gave out this one address" in text(replayed)
    audit = await rootmail.store.audit_for("access", 50)
    assert sum(e.action == "refused" and e.detail["action"] == "new" for e in audit) == 21
    told = [s for s in rootmail.connector.in_conversation(teams.PERSONAL.conversation_id)
            if "Allocation limit reached" in text(s.cards[0])]
    assert len(told) == 1


async def test_a_channel_is_limited_whoever_asks(unsigned):
    rootmail = await unsigned()
    people = [teams.ALICE, teams.BOB, {"id": "29:dave", "name": "Dave", "aadObjectId": "aad-dave"}]

    for person in people[:2]:
        for n in range(5):
            await _submit(rootmail, n, user=person)
    third = await _submit(rootmail, 0, user=people[2])
    elsewhere = await _submit(rootmail, 1, teams.PAYMENTS, people[2])

    assert await rootmail.store.count_addresses() == 11
    assert "This conversation has asked for 10" in text(third)
    assert "Your new AWS root e-mail address" in text(elsewhere)


async def test_unlinked_addresses_are_capped_until_one_is_linked_or_retired(unsigned):
    rootmail = await unsigned(ROOTMAIL_LIMIT_PERSON_HOURLY="0", ROOTMAIL_LIMIT_CONVERSATION_HOURLY="0")
    for n in range(5):
        await _submit(rootmail, n)
    capped = await _submit(rootmail, 5)
    first = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address
    await rootmail.say(f"link {first} 111122223333")
    after_link = await _submit(rootmail, 6)

    assert "not linked to an AWS account yet" in text(capped)
    assert "Your new AWS root e-mail address" in text(after_link)
    assert await rootmail.store.count_addresses() == 6


async def test_an_admin_is_not_held_by_the_limits_a_user_reached(start):
    rootmail = await start(ROOTMAIL_ADMINS="aad-carol")  # activities signed, as Teams sends them
    for n in range(6):
        await _submit(rootmail, n)
    form = await rootmail.say("new", user=CAROL)
    admin = [await _submit(rootmail, n, user=CAROL) for n in range(6)]

    assert await rootmail.store.count_addresses() == 5 + 6
    assert action(form, "new.submit") and all("Your new AWS root e-mail address" in text(a) for a in admin)
