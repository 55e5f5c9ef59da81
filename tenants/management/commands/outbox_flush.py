"""Send the tasks that wait in the outbox (tenants/outbox/services.py) now, without waiting for
beat:
`manage.py outbox_flush`. Prints how many were sent and how many still wait."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.outbox.services import outbox_flush


class Command(BaseCommand):
    help = "Send the tasks that waited for the broker (outbox)."

    def handle(self, *args: Any, **options: Any) -> None:
        with schema_context(get_public_schema_name()):
            sent, waiting = outbox_flush()
        self.stdout.write(f"sent: {sent}, still waiting: {waiting}")
        if waiting:
            self.stderr.write("the broker did not take every task: is Redis running?")
