"""Request ids and structured (JSON) logs. Schema: any.

- `RequestIdMiddleware` takes the proxy's `X-Request-ID` when it is a plain token, makes
  one otherwise, keeps it in a context variable for the request's duration, returns it in
  the response header and logs one line per request (method, path, status, duration).
- `ContextFilter` adds `request_id` and `schema` (the connection's active schema: set by
  the tenant middleware in a request, by tenant-schemas-celery in a task) to every record.
- `JsonFormatter` writes one JSON object a line; settings.LOGGING uses it when
  RELIER_LOG_JSON is on (the default outside DEBUG).

Paths are logged without their query string: no search term or token reaches the logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._\-]{8,128}")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "relier_request_id", default=None
)
logger = logging.getLogger("relier.request")


def clean_request_id(raw: str | None) -> str:
    """The proxy's id when it is a plain token of 8 to 128 characters, a new one otherwise."""
    if raw and _VALID.fullmatch(raw):
        return raw
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            logger.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path,
                       "status": response.status_code,
                       "duration_ms": round((time.monotonic() - started) * 1000, 1)},
            )
            return response
        finally:
            request_id_var.reset(token)


def _schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # settings not ready (early start-up): no schema to tell
        return None


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.schema = _schema()
        return True


# Attributes every LogRecord has: the rest came from `extra=` and are written out too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "schema": getattr(record, "schema", None),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
