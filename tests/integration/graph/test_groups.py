"""The admin and requester groups read from Microsoft Graph (checkMemberGroups) when no groups file is given."""
from __future__ import annotations

from tests.cardwalk import action, text
from tests.fakes import teams
from tests.fakes.graph.harness import fake_graph, graph_port, start_graph_app  # noqa: F401
from tests.integration.test_bot_commands import FORM

REQUESTERS, ADMINS = "11111111-aaaa-4bbb-8ccc-000000000001", "11111111-aaaa-4bbb-8ccc-000000000002"
CAROL = {"id": "29:carol", "name": "Carol", "aadObjectId": "aad-carol"}


def group_checks(graph) -> list:
    return graph.made("POST", "/checkMemberGroups")


async def test_only_members_of_the_requester_group_may_ask_and_graph_is_asked_once_per_person(start_graph_app,
                                                                                          fake_graph):
    fake_graph.people |= {"aad-alice", "aad-bob"}
    fake_graph.groups[REQUESTERS] = {"aad-bob"}  # nested groups are resolved by Graph (checkMemberGroups is transitive)
    rootmail = await start_graph_app(ROOTMAIL_REQUESTER_GROUP=REQUESTERS, ROOTMAIL_ADMIN_GROUP=ADMINS)

    refused = await rootmail.say("new")
    allowed = await rootmail.say("new", user=teams.BOB)
    submitted = await rootmail.execute("new.submit", action(allowed, "new.submit")["data"] | FORM, user=teams.BOB)

    assert "You cannot ask for new addresses" in text(refused)
    assert "Your new AWS root e-mail address" in text(submitted)
    checks = group_checks(fake_graph)
    assert sorted(c.path.split("/")[3] for c in checks) == ["aad-alice", "aad-bob"]  # Bob's second turn: kept
    assert {frozenset(c.body["groupIds"]) for c in checks} == {frozenset({REQUESTERS, ADMINS})}  # both at once


async def test_a_member_of_the_admin_group_sees_another_channels_address(start_graph_app, fake_graph):
    fake_graph.people |= {"aad-alice", "aad-carol"}
    fake_graph.groups[ADMINS] = {"aad-carol"}
    rootmail = await start_graph_app(ROOTMAIL_ADMIN_GROUP=ADMINS)
    form = await rootmail.say("new")
    created = await rootmail.execute("new.submit", action(form, "new.submit")["data"] | FORM)
    address = next(a for a in text(created).split() if "@" in a)

    stranger = await rootmail.say(f"lookup {address}", teams.PAYMENTS)
    admin = await rootmail.say(f"lookup {address}", teams.PAYMENTS, user=CAROL)

    assert "Owned by another channel" in text(stranger)
    assert "Owned by another channel" not in text(admin) and "Payments Prod" in text(admin)


async def test_when_graph_cannot_answer_nobody_counts_as_a_member_and_the_next_turn_asks_again(start_graph_app,
                                                                                                fake_graph):
    fake_graph.people |= {"aad-bob"}
    fake_graph.groups[REQUESTERS] = {"aad-bob"}
    rootmail = await start_graph_app(ROOTMAIL_REQUESTER_GROUP=REQUESTERS, ROOTMAIL_GRAPH_TIMEOUT="1")
    fake_graph.fail(403, times=1, path="checkMemberGroups")  # e.g. GroupMember.Read.All not granted yet

    refused = await rootmail.say("new", user=teams.BOB)
    allowed = await rootmail.say("new", user=teams.BOB)

    assert "You cannot ask for new addresses" in text(refused)
    assert "New AWS root e-mail address" in text(allowed)
    assert len(group_checks(fake_graph)) == 2


async def test_someone_graph_does_not_know_is_not_a_member(start_graph_app, fake_graph):
    fake_graph.groups[REQUESTERS] = {"aad-bob"}  # Bob is not among the directory's users: Graph answers 404
    rootmail = await start_graph_app(ROOTMAIL_REQUESTER_GROUP=REQUESTERS)

    refused = await rootmail.say("new", user=teams.BOB)

    assert "You cannot ask for new addresses" in text(refused)
