"""Logging set-up: text for people, one JSON object per line for log pipelines; extra fields kept."""
from __future__ import annotations

import json
import logging

from core.trace import correlation_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict:
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    if "correlation_id" not in extra and (current := correlation_id.get()):
        extra["correlation_id"] = current  # the mail or turn being handled (core.trace), across tasks
    return extra


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), **_extra(record)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = _extra(record)
        return line + ("  " + " ".join(f"{k}={v}" for k, v in extra.items()) if extra else "")


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("azure").setLevel(logging.WARNING)
    # botocore and urllib3 log request and response bodies at DEBUG: web identity tokens, role credentials
    for wire in ("botocore", "boto3", "urllib3"):
        logging.getLogger(wire).setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
