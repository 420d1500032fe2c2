"""RFC 9457 problem details: every API error is one of the types below, served as application/problem+json."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

CONTENT_TYPE = "application/problem+json"
PREFIX = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    description: str


TYPES: dict[str, ProblemType] = {
    "invalid-token": ProblemType(401, "The bearer token was not accepted",
                                 "Send an Entra ID access token for RootMail's API in `Authorization: Bearer ...`: "
                                 "signed by your tenant, issued for RootMail's audience, not expired."),
    "missing-role": ProblemType(403, "The caller lacks the app role this call needs",
                                "Reading needs the app role RootMail.Read or RootMail.ReadWrite; changes need "
                                "RootMail.ReadWrite, and moving an address to another owner RootMail.Transfer too. "
                                "An admin assigns app roles in Entra ID (Enterprise applications)."),
    "malformed-body": ProblemType(400, "The body cannot be read",
                                  "JSON bodies are UTF-8 (RFC 8259) and nest at most 64 levels deep."),
    "forbidden": ProblemType(403, "RootMail's rules do not allow this caller to do this",
                             "For root tasks: the approver must not be the requester (two-person rule)."),
    "root-access-refused": ProblemType(409, "AWS would not allow this root access",
                                       "`reason` names why: feature-disabled, not-member, management-account, "
                                       "not-delegated-admin or refused; `detail` says what to do."),
    "task-decided": ProblemType(409, "The root task was decided already", "Someone approved or declined it, or it "
                                "expired; GET it to see its state."),
    "not-found": ProblemType(404, "Not found", "RootMail has no such record, or the URL names no API resource."),
    "method-not-allowed": ProblemType(405, "Method not allowed", "The resource exists but not with this method."),
    "already-linked": ProblemType(409, "The address belongs to another AWS account",
                                  "A linked address is never moved to another account. Allocate a new address."),
    "account-id-taken": ProblemType(409, "The AWS account id is linked to another address",
                                    "An AWS account has one root address in RootMail."),
    "concurrent-update": ProblemType(409, "The record kept changing", "Someone else changed it meanwhile; retry."),
    "precondition-failed": ProblemType(412, "The address changed since you read it",
                                       "If-Match named a version that is no longer the current one, so nothing was "
                                       "changed. GET the address again (its ETag header is the version) and retry."),
    "too-large": ProblemType(413, "The body is too large", "Request bodies are at most 1 MiB."),
    "unsupported-media-type": ProblemType(415, "Send JSON", "Request bodies are application/json "
                                          "(PATCH also takes application/merge-patch+json)."),
    "invalid-request": ProblemType(422, "The request has invalid fields",
                                   "`errors` names each field and what is wrong with it."),
    "unknown-conversation": ProblemType(422, "RootMail does not know that conversation",
                                        "The owner is a Teams channel or chat where RootMail is installed: RootMail "
                                        "learns a conversation's id when it is installed there or @mentioned there."),
    "idempotency-key-reused": ProblemType(422, "The Idempotency-Key was used for a different request",
                                          "A retry must send the same body as the first attempt; use a new key for "
                                          "a new allocation."),
    "pool-exhausted": ProblemType(503, "No mailbox can give out another address",
                                  "An admin needs to add aliases or a mailbox to the pool."),
    "unavailable": ProblemType(503, "RootMail cannot serve this now",
                               "A dependency (the store, or the tenant's signing keys) is not answering, or the API "
                               "is not configured. Nothing was changed; retry later."),
    "internal-error": ProblemType(500, "Something went wrong",
                                  "Nothing was lost. Report the `reference` to RootMail's admins."),
}


class Problem(Exception):
    """Raised by handlers; the middleware turns it into the response."""

    def __init__(self, slug: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        self.kind, self.slug, self.detail = TYPES[slug], slug, detail
        self.headers, self.extra = headers or {}, extra
        super().__init__(detail)


def response(problem: Problem, instance: str) -> web.Response:
    body = {"type": PREFIX + problem.slug, "title": problem.kind.title, "status": problem.kind.status,
            "detail": problem.detail, "instance": instance, **problem.extra}
    return web.json_response(body, status=problem.kind.status, headers=problem.headers, content_type=CONTENT_TYPE)


async def describe(request: web.Request) -> web.Response:
    """GET /api/v1/problems/{slug}: what a problem type means, so every `type` URI resolves."""
    slug = request.match_info["slug"]
    if slug not in TYPES:
        raise Problem("not-found", f"There is no problem type {slug!r}.")
    kind = TYPES[slug]
    return web.json_response({"type": PREFIX + slug, "title": kind.title, "status": kind.status,
                              "description": kind.description})
