"""Edge module: the cipher behind core.intake.secrets_box.SecretBox (the `cryptography` package). Imports core."""
