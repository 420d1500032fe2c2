"""RootMail's own error types; the edges translate SDK errors into these."""
from __future__ import annotations


class RootMailError(Exception):
    """Base of every error RootMail raises on purpose; the message is safe to show a user."""


class InvalidRequest(RootMailError):
    """User input broke a rule; `fields` maps each input name to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{name}: {why}" for name, why in self.fields.items()))


class NotFound(RootMailError):
    """The record asked for does not exist."""


class AddressTaken(RootMailError):
    """The address already belongs to a record; addresses are unique forever."""


class AccountIdTaken(RootMailError):
    """The AWS account id is already linked to another address."""

    def __init__(self, account_id: str, address: str):
        self.account_id, self.address = account_id, address
        super().__init__(f"AWS account {account_id} is already linked to {address}")


class AlreadyLinked(RootMailError):
    """The address already belongs to another AWS account; a link is never moved silently."""

    def __init__(self, address: str, account_id: str):
        self.address, self.account_id = address, account_id
        super().__init__(f"{address} is already linked to AWS account {account_id}")


class DuplicateRequest(RootMailError):
    """This allocation request id was already used; `address` is what it allocated."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(f"request already allocated {address}")


class Conflict(RootMailError):
    """Someone else changed the record between read and write (etag mismatch)."""


class PreconditionFailed(RootMailError):
    """The record is not in the state the caller's change was made for (an HTTP If-Match that no longer holds)."""


class PoolExhausted(RootMailError):
    """No mailbox in the pool can give out another address."""


class StoreUnavailable(RootMailError):
    """The store could not be reached or kept failing; nothing was changed. `kind` says which way, for the doctor's
    fixes: "access" (refused: key or role), "missing" (database or container), "shape" (partition key or indexing
    not as the store needs), "unreachable", or "" when it is not known."""

    def __init__(self, message: str, kind: str = ""):
        self.kind = kind
        super().__init__(message)


class Forbidden(RootMailError):
    """The caller may not do this."""


class MailSourceUnavailable(RootMailError):
    """The mail source (Microsoft Graph) could not be reached, refused access or kept failing; nothing was lost,
    the next delta run catches up. `retry_after` is the source's hint in seconds, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        self.retry_after, self.status = retry_after, status
        super().__init__(message)


class StartupError(RootMailError):
    """Something this process owns cannot start (a local file, a port): one line that names the setting to fix."""
