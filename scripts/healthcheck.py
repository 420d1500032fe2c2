"""The image's HEALTHCHECK: exit 0 when GET /healthz on this container's RootMail answers 200 within 3 seconds."""
from __future__ import annotations

import os
import sys
import urllib.request

from settings import SPEC

DEFAULT_PORT = next(default for name, _, default, *_ in SPEC if name == "ROOTMAIL_PORT")


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('ROOTMAIL_PORT', DEFAULT_PORT)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:  # noqa: S310 (loopback, fixed scheme)
            return 0 if answer.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
