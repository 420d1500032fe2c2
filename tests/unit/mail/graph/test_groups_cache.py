"""How long GraphGroups keeps an answer, and how many it keeps."""
from __future__ import annotations

from core.errors import MailSourceUnavailable
from core.model import Person
from mail.graph.groups import GraphGroups


class Directory:
    """Stands in for GraphClient.json: answers checkMemberGroups from a dict, counts the calls."""

    def __init__(self, members: dict[str, set[str]]):
        self.members, self.asked, self.down = members, [], False

    async def json(self, gate, what, build):
        self.asked.append(what)
        if self.down:
            raise MailSourceUnavailable("Microsoft Graph kept failing (503)")
        person = self.person
        return {"value": [g for g, people in self.members.items() if person in people]}


def person(object_id: str) -> Person:
    return Person(f"29:{object_id}", object_id, object_id)


async def ask(groups: GraphGroups, directory: Directory, object_id: str, group: str = "admins") -> bool:
    directory.person = object_id
    return await groups.is_member(group, person(object_id))


async def test_an_answer_is_kept_for_its_time_then_asked_again():
    clock = [0.0]
    directory = Directory({"admins": {"aad-carol"}})
    groups = GraphGroups(lambda: directory, ("ADMINS",), keep_seconds=300, now=lambda: clock[0])

    assert await ask(groups, directory, "aad-carol")
    clock[0] = 299
    directory.members["admins"] = set()  # removed from the group in Entra
    assert await ask(groups, directory, "aad-carol")
    clock[0] = 301
    assert not await ask(groups, directory, "aad-carol")
    assert len(directory.asked) == 2


async def test_failures_are_not_kept_and_the_oldest_answers_make_room():
    directory = Directory({"admins": {"aad-0", "aad-1", "aad-2"}})
    groups = GraphGroups(lambda: directory, ("admins",), most_people=2)
    directory.down = True
    assert not await ask(groups, directory, "aad-0")
    directory.down = False
    for n in range(3):
        assert await ask(groups, directory, f"aad-{n}")
    assert await ask(groups, directory, "aad-2")  # kept
    assert await ask(groups, directory, "aad-0")  # pushed out by aad-2, asked again

    assert len(directory.asked) == 5
    assert not await GraphGroups(lambda: None, ("admins",)).is_member("admins", person("aad-0"))  # not connected
