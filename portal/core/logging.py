"""Structured (JSON) log lines carrying the request id."""

import json
import logging
import re

from portal.core import context

# Bearer tokens and passwords must never reach a log line, even by accident
# (an exception message quoting a form value, say).
_SECRET_PATTERNS = [
    (re.compile(r"(op_(?:at|rt|pat)_)[A-Za-z0-9_\-]+"), r"\1[redacted]"),
    (re.compile(r"(?i)(password\W{0,3}\s*[:=]\s*)\S+"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", ""):
            return True  # given by the caller (the gunicorn access line)
        request_id = context.current().request_id
        if not request_id:
            # django.request logs the response after the middleware has left.
            request_id = getattr(getattr(record, "request", None), "request_id", "")
        record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", ""),
            "message": redact(record.getMessage()),
        }
        # Structured fields given as extra={"fields": {...}} (the access line).
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                payload.setdefault(key, redact(value) if isinstance(value, str) else value)
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)
