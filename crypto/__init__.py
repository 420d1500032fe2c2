"""Edge module: the cipher behind core.secrets_box.SecretBox (the `cryptography` package)."""
