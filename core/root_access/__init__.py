"""AWS centralized root access: member accounts' root posture, root tasks behind a two-person approval, recovery. Imports core, core.addresses and core.intake."""
