"""Sentry set-up: errors reach Sentry, people's data never does.

- `send_default_pii` off: no cookies, user ids, addresses or headers with identities;
- request bodies never sent (`max_request_body_size="never"`), local variables never sent;
- the domain's sensitive field names are scrubbed wherever they appear;
- every event is tagged with the tenant schema that was active.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber
from sentry_sdk.types import Event

# Field names of this domain that may carry a young person's data.
SENSITIVE_FIELDS = [
    "first_name", "last_name", "prenom", "nom", "name", "birth_year", "date_of_birth",
    "clinical_note", "note", "notes", "summary", "comment", "description", "message",
    "email", "phone", "address", "town", "school", "gender", "situation",
    "contact", "guardian", "parent", "body", "content", "text", "answers",
]


def _strip(event: Event, hint: dict[str, Any]) -> Event | None:
    """Last line of defence, whatever the integrations attached."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                k: v for k, v in headers.items()
                if k.lower() in {"host", "user-agent", "content-type", "accept-language"}
            }
    for exception in (event.get("exception") or {}).get("values", []) or []:
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []) or []:
        for frame in (thread.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    event.pop("user", None)
    from relier_platform.tenancy import current_schema

    event.setdefault("tags", {})["tenant"] = current_schema()
    return event


def init_sentry(*, dsn: str, environment: str = "production", **options: Any) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        event_scrubber=EventScrubber(
            denylist=DEFAULT_DENYLIST + SENSITIVE_FIELDS,
            pii_denylist=DEFAULT_PII_DENYLIST,
            recursive=True,
        ),
        before_send=_strip,
        traces_sample_rate=0.0,
        **options,
    )
