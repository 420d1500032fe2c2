"""The fake Graph's directory side: a user by /users/{id | userPrincipalName}, and users found by $filter, as Entra ID
answers them. Sources (microsoftgraph/microsoft-graph-docs-contrib):

- api-reference/v1.0/api/user-get.md: "GET /users/{id | userPrincipalName}"; an unknown user is 404. The error code
  is Request_ResourceNotFound ("Resource '...' does not exist or one of its queried reference-property objects are
  not present."), as recorded from Graph in pnp/cli-microsoft365's `user get` tests ("correctly handles user not
  found") and quoted in Azure/AzureGraph issue 8. A mail address that is not the UPN finds nothing: "UPN != email
  address ... cannot be relied upon" (maintainer's answer in microsoftgraph/microsoft-graph-docs issue 3979).
- api-reference/v1.0/resources/user.md: `mail` supports $filter eq; `proxyAddresses` supports $filter eq (through
  `any`, concepts/filter-query-parameter.md); `userPrincipalName` and `id` support eq.
- concepts/aad-advanced-queries.md: a filter the directory cannot run is 400 Request_UnsupportedQuery.
The docs do not say whether these comparisons ignore case. The fake compares UPN and mail without regard to case
and proxy addresses exactly, "smtp:" prefix included (the strictest reading), so a client must ask for the exact
form Exchange keeps ("SMTP:" for the primary address, "smtp:" for the others, RootMail's addresses lower-case)."""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.fakes.graph.state import GraphState, Mailbox, error

_LITERAL = r"'((?:[^']|'')*)'"
_EQ = re.compile(rf"^\s*(mail|userPrincipalName|id)\s+eq\s+{_LITERAL}\s*$", re.IGNORECASE)
_ANY = re.compile(rf"^\s*proxyAddresses/any\((\w+):\s*\1\s+eq\s+{_LITERAL}\)\s*$", re.IGNORECASE)


def user_json(box: Mailbox, select: list[str] | None, base: str) -> dict[str, Any]:
    user = {"id": box.id, "mail": box.mail, "proxyAddresses": box.proxy_addresses,
            "displayName": box.mail.split("@")[0], "userPrincipalName": box.upn}
    return {k: v for k, v in user.items() if not select or k in select or k == "id"}


def get_user(box: Mailbox, select: list[str] | None, base: str) -> web.Response:
    return web.json_response({"@odata.context": f"{base}/v1.0/$metadata#users/$entity", **user_json(box, select, base)})


def no_such_user(key: str) -> web.Response:
    return error(404, "Request_ResourceNotFound",
                 f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.")


def list_users(state: GraphState, query: dict[str, str], base: str) -> web.Response:
    """GET /users?$filter=...: the one-clause filters RootMail may send; anything else is refused."""
    wanted = query.get("$filter", "")
    select = [s for s in query.get("$select", "").split(",") if s] or None
    if eq := _EQ.match(wanted):
        name, value = eq[1].lower(), eq[2].replace("''", "'")
        attribute = {"mail": "mail", "userprincipalname": "upn", "id": "id"}[name]
        found = [b for b in state.mailboxes if getattr(b, attribute).lower() == value.lower()]
    elif any_ := _ANY.match(wanted):
        value = any_[2].replace("''", "'")
        found = [b for b in state.mailboxes if value in b.proxy_addresses]
    else:
        return error(400, "Request_UnsupportedQuery", "Unsupported Query.")
    return web.json_response({"@odata.context": f"{base}/v1.0/$metadata#users",
                              "value": [user_json(b, select, base) for b in found]})
