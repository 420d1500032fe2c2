"""What a root-task request must say, checked before anyone is asked to approve it: the task, and its target.

S3 bucket names follow https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html; SQS queue names
and URLs https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html (QueueName: up to
80 alphanumerics, hyphens and underscores, `.fifo` for FIFO queues) and the queue URL form
https://sqs.<region>.amazonaws.com/<account id>/<queue name>.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidRequest
from core.root_access.model import CREDENTIAL_KINDS, TaskKind

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$")
_QUEUE_URL = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(\d{12})/([^/]+)$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
MIN_WINDOW, REASON_MAX = 5, 300
KINDS = ", ".join(kind.value for kind in TaskKind)


@dataclass(frozen=True)
class Draft:
    """A root task as asked for, checked; `target` is the bucket, or the queue URL."""

    account_id: str
    kind: TaskKind
    target: str = ""
    credentials: tuple[str, ...] = ()
    window_minutes: int = 0
    remove_after: bool = False
    reason: str = ""


def draft(account_id: str, kind: str, *, target: str = "", credentials: list[str] | tuple[str, ...] = (),
          window_minutes: int | None = None, remove_after: bool = False, reason: str = "", region: str = "us-east-1",
          default_window: int = 60, max_window: int = 1440) -> Draft:
    """The request checked field by field; InvalidRequest names every field that is wrong."""
    account_id = account_id.replace("-", "").strip()
    problems: dict[str, str] = {}
    if not re.fullmatch(r"\d{12}", account_id):
        problems["account_id"] = "An AWS account id is exactly 12 digits."
    try:
        task = TaskKind(kind.strip().lower())
    except ValueError:
        raise InvalidRequest(problems | {"task": f"Name the task: {KINDS}."}) from None
    checked = Draft(account_id, task, reason=" ".join(reason.split())[:REASON_MAX])
    if task is TaskKind.DELETE_CREDENTIALS:
        kinds = [k.strip().lower() for k in credentials if k.strip()] or ["all"]
        unknown = [k for k in kinds if k not in (*CREDENTIAL_KINDS, "all")]
        if unknown:
            problems["credentials"] = f"Unknown credential kind {unknown[0][:30]!r}; use {', '.join(CREDENTIAL_KINDS)} or all."
        chosen = CREDENTIAL_KINDS if "all" in kinds else tuple(k for k in CREDENTIAL_KINDS if k in kinds)
        checked = Draft(account_id, task, credentials=chosen, reason=checked.reason)
    elif task is TaskKind.ALLOW_RECOVERY:
        minutes = default_window if window_minutes is None else window_minutes
        if not MIN_WINDOW <= minutes <= max_window:
            problems["minutes"] = f"The recovery window is {MIN_WINDOW} to {max_window} minutes."
        checked = Draft(account_id, task, window_minutes=minutes, remove_after=remove_after, reason=checked.reason)
    elif task is TaskKind.UNLOCK_BUCKET:
        name = target.strip().removeprefix("s3://").rstrip("/")
        if problem := bucket_problem(name):
            problems["bucket"] = problem
        checked = Draft(account_id, task, target=name, reason=checked.reason)
    else:
        url, problem = queue_url(target.strip(), account_id, region)
        if problem:
            problems["queue"] = problem
        checked = Draft(account_id, task, target=url, reason=checked.reason)
    if problems:
        raise InvalidRequest(problems)
    return checked


def bucket_problem(name: str) -> str:
    if not name:
        return "Name the bucket whose policy locked everyone out."
    if not _BUCKET.match(name) or ".." in name or _IP.match(name) or name.startswith("xn--"):
        return ("Not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a "
                "letter or digit.")
    return ""


def queue_url(given: str, account_id: str, region: str) -> tuple[str, str]:
    """(the queue URL, "") or ("", why not): a queue URL of this account, or a queue name in `region`."""
    if not given:
        return "", "Name the queue (its name, or its URL https://sqs.<region>.amazonaws.com/<account>/<name>)."
    found = _QUEUE_URL.match(given)
    if found:
        if found.group(2) != account_id:
            return "", f"That queue belongs to AWS account {found.group(2)}, not to {account_id}."
        if not _QUEUE_NAME.match(found.group(3)):
            return "", "That URL does not end in a queue name."
        return given, ""
    if not _QUEUE_NAME.match(given):
        return "", "Not a queue name or queue URL: up to 80 letters, digits, hyphens and underscores (.fifo allowed)."
    if not _REGION.match(region):
        return "", f"RootMail's region {region!r} cannot name a queue; give the queue's URL."
    return f"https://sqs.{region}.amazonaws.com/{account_id}/{given}", ""
