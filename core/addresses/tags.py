"""Tags: free-form labels on an address (cost centre, pipeline, ticket), limited the way AWS limits its own tags."""
from __future__ import annotations

import re
from typing import Any, Mapping

from core.errors import InvalidRequest

MAX_TAGS = 50
KEY_MAX, VALUE_MAX = 128, 256
_ALLOWED = re.compile(r"^[\w .:/=+\-@]*$")  # the characters AWS accepts in tag keys and values


def tag_problems(tags: Mapping[str, Any], *, allow_removal: bool = False) -> dict[str, str]:
    """Why each tag is unacceptable, by `tags.<key>`; None values are removals (merge patch) when allowed."""
    problems: dict[str, str] = {}
    for key, value in tags.items():
        name = f"tags.{key}"
        if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX or not _ALLOWED.match(key) or key.strip() != key:
            problems[name] = (f"A tag key is 1-{KEY_MAX} letters, digits, spaces or _ . : / = + - @, "
                              "without leading or trailing spaces.")
        elif value is None and allow_removal:
            continue
        elif not isinstance(value, str) or len(value) > VALUE_MAX or not _ALLOWED.match(value):
            problems[name] = f"A tag value is text of at most {VALUE_MAX} letters, digits, spaces or _ . : / = + - @."
    return problems


def checked_tags(tags: Any) -> dict[str, str]:
    """A complete tag set, validated; raises InvalidRequest naming every bad tag."""
    if not isinstance(tags, dict):
        raise InvalidRequest({"tags": "Tags are an object of key: value text."})
    if problems := tag_problems(tags):
        raise InvalidRequest(problems)
    if len(tags) > MAX_TAGS:
        raise InvalidRequest({"tags": f"At most {MAX_TAGS} tags per address."})
    return dict(tags)


def merged_tags(current: Mapping[str, str], patch: Any) -> dict[str, str]:
    """JSON merge patch (RFC 7396) of a tag set: a value sets the tag, null removes it."""
    if not isinstance(patch, dict):
        raise InvalidRequest({"tags": "Tags are an object of key: value text (null removes a tag)."})
    if problems := tag_problems(patch, allow_removal=True):
        raise InvalidRequest(problems)
    result = {k: v for k, v in current.items() if patch.get(k, v) is not None}
    result |= {k: v for k, v in patch.items() if v is not None}
    if len(result) > MAX_TAGS:
        raise InvalidRequest({"tags": f"At most {MAX_TAGS} tags per address."})
    return result
