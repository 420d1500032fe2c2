"""/rootmail typed in channels and group chats without @mention (resource-specific consent: ChannelMessage.Read.Group,
ChatMessage.Read.Chat). With it Teams delivers every message there (msteams-docs bots/how-to/conversations/
channel-messages-with-rsc.md), so RootMail acts on those that start with /rootmail or @mention it, and leaves every
other message unread, unstored and unlogged."""
from __future__ import annotations

import logging

from tests.cardwalk import text
from tests.fakes import teams

GROUP = teams.Where("19:leads@thread.v2", "groupChat")
SECRET_CHATTER = "the prod db password is hunter2, do not share"


def plain(words: str, where: teams.Where, rootmail, user=teams.ALICE) -> dict:
    """A message as Teams delivers it under RSC: no @mention, no mention entity."""
    return teams._base(where, rootmail.connector.url, user, type="message", text=words, textFormat="plain",
                       entities=[])


async def test_rootmail_typed_in_a_channel_without_mention_is_answered(rootmail):
    response = await rootmail.send(plain("/rootmail new", teams.PLATFORM, rootmail))

    assert response.status in (200, 201)
    [reply] = await rootmail.connector.wait_for(1)
    assert "New AWS root e-mail address" in text(reply.cards[0])
    assert reply.conversation_id.startswith(teams.PLATFORM.conversation_id + ";messageid=")


async def test_rootmail_typed_in_a_group_chat_without_mention_is_answered(rootmail):
    await rootmail.send(plain("/RootMail   help", GROUP, rootmail))

    [reply] = await rootmail.connector.wait_for(1)
    assert reply.conversation_id == GROUP.conversation_id and "lookup" in text(reply.cards[0])


async def test_other_messages_are_ignored_unread_unstored_and_unlogged(rootmail, caplog):
    caplog.set_level(logging.DEBUG)
    for where in (teams.PLATFORM, GROUP):
        for words in (SECRET_CHATTER, "lookup 123456789012", "hello /rootmail new", "rootmail new"):
            response = await rootmail.send(plain(words, where, rootmail))
            assert response.status in (200, 201)

    assert rootmail.connector.sent == [] and rootmail.connector.requests == 0  # no answer, no roster, no names
    for where in (teams.PLATFORM, GROUP):
        assert await rootmail.store.get_conversation(where.conversation_id) is None
    assert await rootmail.store.audit_for("access", 10) == []
    assert "hunter2" not in caplog.text and "lookup 123456789012" not in caplog.text


async def test_a_message_that_mentions_someone_else_is_ignored_too(rootmail):
    other = {"type": "mention", "text": "<at>Bob</at>", "mentioned": {"id": teams.BOB["id"], "name": "Bob"}}
    activity = plain("<at>Bob</at> can you run new for me?", teams.PLATFORM, rootmail) | {"entities": [other]}

    await rootmail.send(activity)

    assert rootmail.connector.sent == []


async def test_an_at_mention_still_works_and_a_personal_chat_needs_neither(rootmail):
    assert "New AWS root e-mail address" in text(await rootmail.say("new"))  # @RootMail new, in the channel
    assert "New AWS root e-mail address" in text(await rootmail.say("new", teams.PERSONAL))
