"""The nightly expiry of hand-overs nobody decided (Celery beat, in public)."""

from __future__ import annotations

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tracking.handovers.services import handovers_expire


@app.task(name="tracking.handovers_expire_task", ignore_result=True)
def handovers_expire_task() -> int:
    """Every pending hand-over past its date, expired (its summary destroyed). Runs in
    public: it writes the public record and one audit entry in each association's schema.
    Safe to run twice (an expired hand-over is no longer pending)."""
    if current_schema() != "public":
        raise RuntimeError("handovers_expire_task runs in the public schema")
    return handovers_expire()
