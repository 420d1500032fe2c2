"""Records of centralized root access: one account's root credentials, a root task and the AssumeRoot session it ran in.

Task policies and what each allows come from the IAM User Guide's AWS managed policies page
(https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html): a root session is scoped to exactly
one of them, and RootMail asks for the one its task needs, never more.
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

ROOT_SESSIONS, CREDENTIALS_MANAGEMENT = "RootSessions", "RootCredentialsManagement"  # iam:ListOrganizationsFeatures
AUDIT_POLICY = "IAMAuditRootUserCredentials"
MAX_SESSION_SECONDS = 900  # AssumeRoot's DurationSeconds: 0 to 900 (STS API reference, AssumeRoot)
PASSWORD, ACCESS_KEYS, MFA, CERTIFICATES = "password", "access-keys", "mfa", "certificates"
CREDENTIAL_KINDS = (PASSWORD, ACCESS_KEYS, MFA, CERTIFICATES)


class TaskKind(str, enum.Enum):
    DELETE_CREDENTIALS = "delete-credentials"
    ALLOW_RECOVERY = "allow-recovery"
    UNLOCK_BUCKET = "unlock-bucket"
    UNLOCK_QUEUE = "unlock-queue"


# the one task policy each task runs under, and the organization features it needs
TASK_POLICY = {TaskKind.DELETE_CREDENTIALS: "IAMDeleteRootUserCredentials",
               TaskKind.ALLOW_RECOVERY: "IAMCreateRootUserPassword",
               TaskKind.UNLOCK_BUCKET: "S3UnlockBucketPolicy",
               TaskKind.UNLOCK_QUEUE: "SQSUnlockQueuePolicy"}
NEEDS = {TaskKind.DELETE_CREDENTIALS: (ROOT_SESSIONS, CREDENTIALS_MANAGEMENT)}
TITLES = {TaskKind.DELETE_CREDENTIALS: "Delete root credentials", TaskKind.ALLOW_RECOVERY: "Allow password recovery",
          TaskKind.UNLOCK_BUCKET: "Unlock an S3 bucket policy", TaskKind.UNLOCK_QUEUE: "Unlock an SQS queue policy"}


def needs(kind: TaskKind | None) -> tuple[str, ...]:
    """The organization features a task (None: the audit) needs: AssumeRoot always needs root sessions."""
    return NEEDS.get(kind, (ROOT_SESSIONS,)) if kind else (ROOT_SESSIONS,)


class TaskState(str, enum.Enum):
    REQUESTED = "requested"  # waits for an admin's approval
    APPROVED = "approved"  # approved; AssumeRoot and the task's calls run now
    DONE = "done"
    FAILED = "failed"
    DECLINED = "declined"
    EXPIRED = "expired"  # nobody approved it in time


FINAL = frozenset({TaskState.DONE, TaskState.FAILED, TaskState.DECLINED, TaskState.EXPIRED})


@dataclass(frozen=True)
class SessionSpec:
    """What AssumeRoot is asked for: the task policy, the duration, and the role session name RootMail calls it
    from, which CloudTrail's AssumeRoot event carries in userIdentity.arn
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html)."""

    policy: str
    seconds: int
    name: str


@dataclass(frozen=True)
class Session:
    """The AssumeRoot session a task ran in, as the card shows it."""

    policy: str
    seconds: int
    name: str
    started_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Credentials:
    """What one member account's root user still has."""

    password: bool = False
    access_keys: int = 0
    mfa_devices: int = 0
    signing_certificates: int = 0

    def kinds(self) -> list[str]:
        counts = {PASSWORD: int(self.password), ACCESS_KEYS: self.access_keys, MFA: self.mfa_devices,
                  CERTIFICATES: self.signing_certificates}
        return [kind for kind in CREDENTIAL_KINDS if counts[kind]]

    @property
    def any(self) -> bool:
        return bool(self.kinds())


@dataclass(frozen=True)
class Posture:
    """One member account's root posture at the last audit; `error` says why it could not be read."""

    account_id: str
    account_name: str
    checked_at: datetime
    credentials: Credentials = field(default_factory=Credentials)
    error: str = ""

    @property
    def exposed(self) -> bool:
        return not self.error and self.credentials.any

    def to_json(self) -> dict[str, Any]:
        return dump(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Posture":
        loaded = load(data, cls)
        return replace(loaded, credentials=Credentials(**data.get("credentials") or {}))


@dataclass(frozen=True)
class Actor:
    """A person (or an automation's app) as a task records them; `key` identifies them for the two-person rule."""

    id: str
    name: str = ""
    aad_object_id: str = ""

    @property
    def key(self) -> str:
        return self.aad_object_id or self.id

    def same_as(self, other: "Actor") -> bool:
        mine = {k for k in (self.id, self.aad_object_id) if k}
        return bool(mine & {k for k in (other.id, other.aad_object_id) if k})


@dataclass(frozen=True)
class Task:
    id: str
    account_id: str
    account_name: str
    kind: TaskKind
    requester: Actor
    requested_in: str  # conversation id (or "api")
    requested_at: datetime
    expires_at: datetime  # approval must come before
    address: str = ""  # the account's RootMail address, when it has one
    owner: str = ""  # conversation id owning that address
    target: str = ""  # the bucket or the queue URL
    credentials: tuple[str, ...] = ()  # delete-credentials: which kinds
    window_minutes: int = 0  # allow-recovery: how long the reset link may be revealed to the requester
    remove_after: bool = False  # allow-recovery: delete every root credential again when the window closes
    reason: str = ""
    state: TaskState = TaskState.REQUESTED
    approver: Actor | None = None
    decided_at: datetime | None = None
    session: Session | None = None
    result: str = ""
    finished_at: datetime | None = None
    window_until: datetime | None = None
    follow_up: str = ""  # allow-recovery with remove_after: "pending", "done" or "failed: <why>"
    card_where: str = ""  # the approval card: conversation id and activity id
    card_activity: str = ""

    @property
    def policy(self) -> str:
        return TASK_POLICY[self.kind]

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def to_json(self) -> dict[str, Any]:
        return dump(asdict(self) | {"kind": self.kind.value, "state": self.state.value,
                                    "credentials": list(self.credentials)})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Task":
        task = load(data, cls)
        session = data.get("session")
        return replace(task, kind=TaskKind(task.kind), state=TaskState(task.state),
                       credentials=tuple(task.credentials), requester=Actor(**data["requester"]),
                       approver=Actor(**data["approver"]) if data.get("approver") else None,
                       session=load(session, Session) if session else None)


def dump(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready: datetimes as ISO text, nested records too."""
    return {k: dump(v) if isinstance(v, dict) else v.isoformat() if isinstance(v, datetime) else v
            for k, v in data.items()}


def load(data: dict[str, Any], kind: type) -> Any:
    """A record from `dump`'s output: fields it does not know are dropped (written by a newer version), datetime fields
    parsed; nested records are the caller's."""
    names = {f.name: f for f in fields(kind)}
    values = {k: v for k, v in data.items() if k in names}
    for name, spec in names.items():
        if "datetime" in str(spec.type) and isinstance(values.get(name), str):
            values[name] = datetime.fromisoformat(values[name])
    return kind(**values)
