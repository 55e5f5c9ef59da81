"""The session backend: Django's database sessions, read with SQL compiled once per
connection (relier_platform.prepared) instead of a queryset built and compiled on every
request. Writes, expiry and the `Session` table are Django's own. Schema: any — a session
lives in the schema of the host it was opened on (the connection's search_path)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from relier_platform.prepared import PreparedRead

# Samples no real session key or instant holds (see PreparedRead).
_KEY = "\x00relier-session-key-sample"
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)

SESSION_READ: PreparedRead[Session] = PreparedRead(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    key=_KEY, now=_NOW)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        found = SESSION_READ(key=self.session_key, now=timezone.now())
        if found:
            return found[0]
        self._session_key = None
        return None
