"""The message extension: search addresses from the compose box (composeExtension/query) and "Look up in RootMail" on
a forwarded mail (composeExtension/fetchTask), with the request and response shapes of msteams-docs
messaging-extensions/how-to/search-commands/respond-to-search.md and action-commands/create-task-module.md."""
from __future__ import annotations

from typing import Any

from tests.cardcheck import validate_cards
from tests.cardwalk import text
from tests.fakes import teams
from tests.integration.protection_helpers import owned_address, start  # noqa: F401  (fixture)
from tests.integration.test_bot_commands import allocate
from tests.integration.test_reveal import mail_in_channel


async def invoke(rootmail, name: str, value: dict[str, Any], where=teams.PLATFORM, user=teams.ALICE) -> dict:
    activity = teams._base(where, rootmail.connector.url, user, type="invoke", name=name, value=value)
    response = await rootmail.send(activity)
    assert response.status == 200, await response.text()
    return await response.json()


async def search(rootmail, words: str | None, where=teams.PLATFORM, user=teams.ALICE) -> dict:
    parameters = [{"name": "initialRun", "value": "true"}] if words is None else [{"name": "query", "value": words}]
    body = await invoke(rootmail, "composeExtension/query", {"commandId": "findAddress", "parameters": parameters,
                                                             "queryOptions": {"skip": 0, "count": 25}}, where, user)
    return body["composeExtension"]


async def test_search_by_account_id_name_or_address_inserts_a_lookup_card(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    await rootmail.say(f"link {address} 111122223333")

    for words in ("111122223333", "payments", address.upper()):
        found = await search(rootmail, words)
        assert found["type"] == "result" and found["attachmentLayout"] == "list", words
        [result] = found["attachments"]
        assert result["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert "Card processing" in text(result["content"]) and address in text(result["content"])
        assert result["preview"]["contentType"] == "application/vnd.microsoft.card.thumbnail"
        assert result["preview"]["content"]["title"] == address
        assert "111122223333" in result["preview"]["content"]["text"]
        assert validate_cards([result["content"]]) == [[]]


async def test_another_conversation_learns_only_who_owns_an_address(start):
    rootmail = await start()
    await allocate(rootmail, purpose="Secret payments work")
    address = (await rootmail.store.list_by_owner(teams.PLATFORM.conversation_id, 1)).items[0].address

    [result] = (await search(rootmail, "payments", teams.PAYMENTS, teams.BOB))["attachments"]

    assert "Secret payments work" not in str(result) and address in text(result["content"])
    assert "Owned by another channel" in text(result["content"])
    assert result["preview"]["content"]["text"] == "Owned by Cloud Platform / Platform"


async def test_the_initial_run_lists_this_conversations_addresses_and_no_match_says_so(start):
    rootmail = await start()
    address = await owned_address(rootmail)

    initial = await search(rootmail, None)
    nothing = await search(rootmail, "no-such-account-anywhere")

    assert [a["preview"]["content"]["title"] for a in initial["attachments"]] == [address]
    assert nothing == {"type": "message", "text": "No root address matches \u201cno-such-account-anywhere\u201d."}


async def test_look_up_in_rootmail_on_a_forwarded_mail_opens_the_address_in_a_dialog(start):
    rootmail = await start()
    address, mail, card = await mail_in_channel(rootmail)
    payload = {"id": "1700000000000", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                       "content": card}]}

    body = await invoke(rootmail, "composeExtension/fetchTask",
                        {"commandId": "lookUpMail", "commandContext": "message", "messagePayload": payload})

    task = body["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "RootMail"
    dialog = task["value"]["card"]["content"]
    assert address in text(dialog) and mail.subject in text(dialog) and mail.secret not in str(dialog)
    assert validate_cards([dialog]) == [[]]


async def test_look_up_in_rootmail_on_any_other_message_says_what_it_is_for(start):
    rootmail = await start()
    payload = {"id": "1", "body": {"content": "lunch?"}, "attachments": []}

    body = await invoke(rootmail, "composeExtension/fetchTask",
                        {"commandId": "lookUpMail", "commandContext": "message", "messagePayload": payload})

    assert body["task"]["type"] == "message" and "not a mail RootMail forwarded" in body["task"]["value"]
