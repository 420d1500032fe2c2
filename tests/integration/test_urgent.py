"""Mail cards people can act on: critical mail is posted as important and calls the team's owners (or a tag) in its
thread; each kind links to where AWS lets the team act."""
from __future__ import annotations

from core.model import MailState
from tests.cardwalk import action, text
from tests.fakes import teams
from tests.integration.protection_helpers import (aws_mail, deliver, owned_address, posted_in, settled,  # noqa: F401
                                                  start)
from tests.integration.test_reveal import ALICE_ID

OWNER = {"id": "29:olivia", "name": "Olivia Owner", "aadObjectId": "aad-olivia", "userRole": "owner"}


def owners_roster(rootmail) -> None:
    rootmail.connector.rosters[teams.PLATFORM.team_id] = {ALICE_ID, OWNER["id"]}
    rootmail.connector.profiles[OWNER["id"]] = {k: v for k, v in OWNER.items() if k != "id"}


async def mail_posted(rootmail, kind: str):
    """The activity RootMail posted in the channel for one AWS mail of `kind`, and everything sent after it."""
    address = await owned_address(rootmail)
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail(kind, address).message, address)
    await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
    await settled(rootmail, MailState.FORWARDED)
    post = next(s for s in rootmail.connector.sent[before:] if s.conversation_id == teams.PLATFORM.conversation_id)
    return post, rootmail.connector.sent[before:]


async def test_a_password_reset_is_posted_as_important_and_calls_the_teams_owners_in_its_thread(start):
    rootmail = await start()
    owners_roster(rootmail)

    post, after = await mail_posted(rootmail, "reset")

    assert post.activity["importance"] == "high"
    assert post.activity["channelData"] == {"notification": {"alert": True}}
    [call] = [s for s in after if s.conversation_id == f"{teams.PLATFORM.conversation_id};messageid={post.activity_id}"]
    assert call.activity["text"].startswith("<at>Olivia Owner</at> Critical AWS root mail")
    assert call.activity["entities"] == [{"type": "mention", "text": "<at>Olivia Owner</at>",
                                          "mentioned": {"id": OWNER["id"], "name": "Olivia Owner"}}]


async def test_a_configured_tag_is_called_instead_of_the_owners(start):
    rootmail = await start(ROOTMAIL_URGENT_MENTIONS=f"{teams.PLATFORM.team_id}=tag-oncall==:On call")
    owners_roster(rootmail)

    post, after = await mail_posted(rootmail, "reset")

    [call] = [s for s in after if s.conversation_id.endswith(f";messageid={post.activity_id}")]
    assert call.activity["entities"] == [{"type": "mention", "text": "<at>On call</at>",
                                          "mentioned": {"id": "tag-oncall==", "name": "On call", "type": "tag"}}]


async def test_mentions_can_be_turned_off_and_normal_mail_is_posted_as_usual(start):
    rootmail = await start(ROOTMAIL_URGENT_MENTIONS="none")
    owners_roster(rootmail)

    urgent, after_urgent = await mail_posted(rootmail, "reset")
    normal, after_normal = await mail_posted(rootmail, "billing")

    assert urgent.activity["importance"] == "high"
    assert not [s for s in after_urgent + after_normal if "entities" in s.activity and not s.cards]
    assert "importance" not in normal.activity and "channelData" not in normal.activity


async def test_each_kind_links_to_where_aws_lets_the_team_act(start):
    rootmail = await start()
    links = {}
    for kind in ("billing", "health", "verification"):
        post, _ = await mail_posted(rootmail, kind)
        links[kind] = [(a["title"], a["url"]) for a in post.cards[0]["actions"] if a["type"] == "Action.OpenUrl"]

    assert links == {"billing": [("Open Billing", "https://console.aws.amazon.com/billing/home")],
                     "health": [("Open AWS Health", "https://health.aws.amazon.com/health/home")],
                     "verification": [("Open the AWS console", "https://console.aws.amazon.com/")]}


async def test_the_state_banners_are_dark_text_on_their_colour(start):
    rootmail = await start()
    address = await owned_address(rootmail)
    question = await rootmail.say(f"retire {address}")
    await rootmail.execute("retire", action(question, "retire")["data"])

    post, _ = await mail_posted_to(rootmail, address)

    banner = next(b for b in post.cards[0]["body"] if b.get("style") == "warning")
    assert text(banner).startswith("This address is retired")
    assert not [t for t in banner["items"] if t.get("color")]


async def mail_posted_to(rootmail, address: str):
    before = len(rootmail.connector.sent)
    await deliver(rootmail, aws_mail("billing", address).message, address)
    await posted_in(rootmail, teams.PLATFORM.conversation_id, before)
    post = next(s for s in rootmail.connector.sent[before:] if s.conversation_id == teams.PLATFORM.conversation_id)
    return post, rootmail.connector.sent[before:]
