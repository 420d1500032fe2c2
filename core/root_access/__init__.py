"""AWS centralized root access: the root posture of member accounts, root tasks behind a two-person approval, recovery."""
