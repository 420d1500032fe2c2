"""The OpenAPI 3.1 description of /api/v1/root (api.root_access); api.openapi adds it to the document with its own
operation and problem builders, handed in."""
from __future__ import annotations

from typing import Any, Callable

from core.root_access.model import CREDENTIAL_KINDS, TaskKind

# the app roles of /api/v1/root (api.root_access), each its own: reading, asking, approving
READ, REQUEST, APPROVE = "RootMail.RootAccess.Read", "RootMail.RootTasks.Request", "RootMail.RootTasks.Approve"
JSON = "application/json"
_ACCOUNT = {"type": "string", "pattern": "^[0-9]{12}$"}
_TIME = {"type": "string", "format": "date-time"}
_TEXT = {"type": "string"}


def paths(operation: Callable[..., dict], problems: Callable[..., dict], ref: Callable[[str], dict]) -> dict[str, Any]:
    def ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
        return {status: {"description": description, "content": {JSON: {"schema": ref(schema)}}}}

    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
    decide = {"description": "Needs the app role; the caller must not be the requester (two-person rule)."}
    return {
        "/api/v1/root/posture": {"get": operation(
            "getRootPosture", "The organization's root posture from the last audit", READ,
            {**ok("The last audit.", "RootPosture"), **problems(404)})},
        "/api/v1/root/audits": {"post": operation(
            "auditRootPosture", "Audit every member account's root user now (AssumeRoot, IAMAuditRootUserCredentials)",
            READ, {**ok("The audit.", "RootPosture"), **problems(409)})},
        "/api/v1/root/accounts/{account_id}": {
            "parameters": [{"name": "account_id", "in": "path", "required": True, "schema": _ACCOUNT}],
            "get": operation("getRootAccount", "One member account's root posture from the last audit", READ,
                             {**ok("The account.", "RootAccount"), **problems(404)})},
        "/api/v1/root/tasks": {"post": operation(
            "requestRootTask", "Ask for a root task; an approver who is not you runs it", REQUEST,
            {**ok("Asked; waiting for approval.", "RootTask", "201"), **problems(409, 415, 422)},
            requestBody={"required": True, "content": {JSON: {"schema": ref("RootTaskRequest")}}})},
        "/api/v1/root/tasks/{task_id}": {"parameters": [task_id], "get": operation(
            "getRootTask", "A root task: request, approval, root session and result", READ,
            {**ok("The task.", "RootTask"), **problems(404)})},
        "/api/v1/root/tasks/{task_id}/approve": {"parameters": [task_id], "post": operation(
            "approveRootTask", "Approve a root task and run it", APPROVE,
            {**ok("The task after at most a few seconds (it may still be running).", "RootTask"),
             **problems(404, 409)}, **decide)},
        "/api/v1/root/tasks/{task_id}/decline": {"parameters": [task_id], "post": operation(
            "declineRootTask", "Decline a root task", APPROVE, {**ok("The declined task.", "RootTask"),
                                                                 **problems(404, 409)}, **decide)},
    }


def schemas() -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"]}
    account = {"type": "object", "required": ["account_id", "account_name", "checked_at", "error", "root_credentials"],
               "properties": {"account_id": _ACCOUNT, "account_name": _TEXT, "checked_at": _TIME,
                              "error": nullable_text,
                              "root_credentials": {"type": ["array", "null"],
                                                   "items": {"enum": list(CREDENTIAL_KINDS)}},
                              "password": {"type": "boolean"}, "access_keys": {"type": "integer"},
                              "mfa_devices": {"type": "integer"}, "signing_certificates": {"type": "integer"}}}
    session = {"type": ["object", "null"], "properties": {
        "task_policy": _TEXT, "duration_seconds": {"type": "integer", "maximum": 900}, "session_name": _TEXT,
        "opened_at": _TIME, "expires_at": {"type": ["string", "null"], "format": "date-time"}}}
    return {
        "RootAccount": account,
        "RootPosture": {"type": "object", "required": ["audited_at", "members", "with_root_credentials", "accounts"],
                        "properties": {"audited_at": _TIME, "features": {"type": "array", "items": _TEXT},
                                       "management_account": nullable_text, "members": {"type": "integer"},
                                       "with_root_credentials": {"type": "integer"}, "unreadable": {"type": "integer"},
                                       "problem": nullable_text,
                                       "accounts": {"type": "array", "items": {"$ref": "#/components/schemas/RootAccount"}}}},
        "RootTaskRequest": {"type": "object", "additionalProperties": False, "required": ["account_id", "task"],
                            "properties": {
                                "account_id": _ACCOUNT, "task": {"enum": [k.value for k in TaskKind]},
                                "target": {"type": "string", "maxLength": 300,
                                           "description": "unlock-bucket: the bucket; unlock-queue: its name or URL"},
                                "credentials": {"type": "array", "items": {"enum": [*CREDENTIAL_KINDS, "all"]}},
                                "minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
                                "remove_after": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 300}}},
        "RootTask": {"type": "object", "required": ["id", "account_id", "task", "state", "task_policy", "session"],
                     "properties": {"id": _TEXT, "account_id": _ACCOUNT, "task": {"enum": [k.value for k in TaskKind]},
                                    "state": {"enum": ["requested", "approved", "done", "failed", "declined",
                                                       "expired"]},
                                    "task_policy": _TEXT, "session": session, "result": nullable_text,
                                    "requested_by": _TEXT, "approved_by": nullable_text,
                                    "window_until": {"type": ["string", "null"], "format": "date-time"}}},
    }
