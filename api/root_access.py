"""/api/v1/root: the root posture and root tasks for automation, behind their own app roles, with the approval rule
Teams has: a request, then an approval by a caller who holds RootMail.RootTasks.Approve and is not the requester
(two-person rule). A password recovery asked for over the API must come from a person (a delegated token): the reset
link is revealed only to that person, in Teams."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from api.auth import Caller
from api.problems import Problem
from api.resources import json_object
from api.root_openapi import APPROVE, READ, REQUEST
from api.routes import ApiServices, requires
from core.errors import Conflict, Forbidden, InvalidRequest
from core.root_access.api import RootAccessError, Throttled, Unavailable
from core.root_access.model import Actor, Posture, Task, TaskKind
from core.root_access.posture import Report
from core.root_access.requests import draft

TASK_FIELDS = {"account_id": str, "task": str, "target": str, "credentials": list, "minutes": int,
               "remove_after": bool, "reason": str}


@dataclass
class RootApi:
    desk: Any  # core.root_access.tasks.TaskDesk
    auditor: Any  # core.root_access.posture.Auditor
    region: str = "us-east-1"
    recovery_minutes: int = 60


ROOT_API = web.AppKey("root_api", RootApi)
routes = web.RouteTableDef()


def _root(request: web.Request) -> RootApi:
    root = request.config_dict.get(ROOT_API)
    if root is None:
        raise Problem("unavailable", "Root access is not configured: set ROOTMAIL_ROOT_ROLE_ARN.")
    return root


def _actor(caller: Caller) -> Actor:
    person = caller.person
    return Actor(person.id, person.name, person.aad_object_id)


@routes.get("/root/posture")
@requires(READ)
async def posture(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    report = await _root(request).auditor.last()
    if report is None:
        raise Problem("not-found", "RootMail has not audited the organization's root users yet: POST /root/audits.")
    return web.json_response(report_json(report))


@routes.post("/root/audits")
@requires(READ)
async def audit(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    try:
        report = await _root(request).auditor.run()
    except RootAccessError as refused:
        raise _refusal(refused) from None
    return web.json_response(report_json(report))


@routes.get("/root/accounts/{account_id}")
@requires(READ)
async def account(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    found = await _root(request).desk.book.posture(request.match_info["account_id"])
    return web.json_response(posture_json(_found(found, "No root posture recorded for that AWS account (not audited, "
                                                        "or not a member).")))


@routes.post("/root/tasks")
@requires(REQUEST)
async def ask(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    root = _root(request)
    body = await json_object(request, TASK_FIELDS)
    if body.get("task") == TaskKind.ALLOW_RECOVERY.value and caller.is_app:
        raise InvalidRequest({"task": "A password recovery is revealed to a person in Teams: ask with a user's "
                                      "(delegated) token, not an app's."})
    wanted = draft(str(body.get("account_id", "")), str(body.get("task", "")), target=str(body.get("target", "")),
                   credentials=[str(c) for c in body.get("credentials", [])], window_minutes=body.get("minutes"),
                   remove_after=bool(body.get("remove_after", False)), reason=str(body.get("reason", "")),
                   region=root.region, default_window=root.recovery_minutes)
    try:
        task = await root.desk.request(wanted, _actor(caller), "api", True)
    except Forbidden as refused:
        raise Problem("forbidden", str(refused)) from None
    except RootAccessError as refused:
        raise _refusal(refused) from None
    return web.json_response(task_json(task), status=201, headers={"Location": f"/api/v1/root/tasks/{task.id}"})


@routes.get("/root/tasks/{task_id}")
@requires(READ)
async def show(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    task = await _root(request).desk.book.task(request.match_info["task_id"])
    return web.json_response(task_json(_found(task, "RootMail has no such root task.")))


@routes.post("/root/tasks/{task_id}/approve")
@requires(APPROVE)
async def approve(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    return await _decide(request, caller, approve=True)


@routes.post("/root/tasks/{task_id}/decline")
@requires(APPROVE)
async def decline(request: web.Request, services: ApiServices, caller: Caller) -> web.Response:
    return await _decide(request, caller, approve=False)


async def _decide(request: web.Request, caller: Caller, approve: bool) -> web.Response:
    desk = _root(request).desk
    try:
        decide = desk.approve if approve else desk.decline
        task = await decide(request.match_info["task_id"], _actor(caller), True)
    except Forbidden as refused:
        raise Problem("forbidden", str(refused)) from None
    except Conflict as stale:
        raise Problem("task-decided", str(stale)) from None
    return web.json_response(task_json(task))


def _found(value, missing: str):
    if value is None:
        raise Problem("not-found", missing)
    return value


def _refusal(refused: RootAccessError) -> Problem:
    if isinstance(refused, (Throttled, Unavailable)):
        return Problem("unavailable", str(refused), headers={"Retry-After": "60"})
    return Problem("root-access-refused", str(refused), reason=refused.kind)


def posture_json(posture: Posture) -> dict[str, Any]:
    found = posture.credentials
    return {"account_id": posture.account_id, "account_name": posture.account_name,
            "checked_at": _iso(posture.checked_at), "error": posture.error or None,
            "root_credentials": None if posture.error else found.kinds(),
            "password": found.password, "access_keys": found.access_keys, "mfa_devices": found.mfa_devices,
            "signing_certificates": found.signing_certificates}


def report_json(report: Report) -> dict[str, Any]:
    summary = report.summary
    return {"audited_at": _iso(summary.at), "features": list(summary.features),
            "management_account": summary.management_account or None, "members": summary.members,
            "with_root_credentials": summary.exposed, "unreadable": summary.failed, "problem": summary.problem or None,
            "accounts": [posture_json(p) for p in report.postures]}


def task_json(task: Task) -> dict[str, Any]:
    session = task.session
    return {"id": task.id, "account_id": task.account_id, "task": task.kind.value, "state": task.state.value,
            "task_policy": task.policy, "target": task.target or None, "credentials": list(task.credentials),
            "window_minutes": task.window_minutes or None, "remove_after": task.remove_after,
            "reason": task.reason, "requested_by": task.requester.key, "requested_at": _iso(task.requested_at),
            "approved_by": task.approver.key if task.approver else None,
            "decided_at": _iso(task.decided_at) if task.decided_at else None,
            "session": {"task_policy": session.policy, "duration_seconds": session.seconds,
                        "session_name": session.name, "opened_at": _iso(session.started_at),
                        "expires_at": _iso(session.expires_at) if session.expires_at else None} if session else None,
            "result": task.result or None, "window_until": _iso(task.window_until) if task.window_until else None,
            "follow_up": task.follow_up or None, "links": {"self": f"/api/v1/root/tasks/{task.id}"}}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
