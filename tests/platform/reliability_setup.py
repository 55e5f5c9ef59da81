"""Builds the database of tests/platform/test_reliability.py, in the private PostgreSQL
cluster its DATABASE_URL names (run as `python -m tests.platform.reliability_setup`):
schemas migrated, one association with a little activity, a signed-in session of its
admin, and data imports checked and ready to commit (the Celery work of the tests).
Prints one JSON object: what the test needs to drive it."""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import Any

import django

SLUG = "fiable"
ROWS_PER_QUEUED_IMPORT = 5
ROWS_OF_THE_KILLED_IMPORT = 300
QUEUED_IMPORTS = 3
# One more row than the import page commits in the request: it starts a task instead.
LARGE_IMPORT_ROWS = 1001


def csv_rows(prefix: str, count: int) -> bytes:
    lines = ["Identifiant;Prénom;Ville;Département"]
    lines += [f"{prefix}-{n};Jeune {n};Montreuil;93" for n in range(1, count + 1)]
    return ("\r\n".join(lines) + "\r\n").encode()


def ready_import(actor: Any, name: str, content: bytes) -> int:
    """An import uploaded, checked (no error) and marked as committing, as the import page
    leaves it just before it enqueues the commit task."""
    from onboarding.importing import services
    from tracking.models import ImportRun

    run = services.import_upload(actor=actor, file_name=name, content=content)
    run = services.import_validate(run_id=run.pk)
    assert run.status == ImportRun.Status.VALIDATED, run.errors
    assert not run.error_count, run.errors
    services.import_start(actor=actor, run=run, status=ImportRun.Status.COMMITTING)
    return int(run.pk)


def checked_import(actor: Any, name: str, content: bytes) -> int:
    """An import uploaded and checked (no error), waiting for its admin to commit it."""
    from onboarding.importing import services
    from tracking.models import ImportRun

    run = services.import_upload(actor=actor, file_name=name, content=content)
    run = services.import_validate(run_id=run.pk)
    assert run.status == ImportRun.Status.VALIDATED, run.errors
    assert not run.error_count, run.errors
    assert run.total_rows > services.INLINE_ROWS
    return int(run.pk)


def main() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relier_platform.settings")
    django.setup()
    from django.contrib.auth.backends import ModelBackend
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from relier_platform.demo.activity import generate_activity
    from tenants.tenancy.services import association_create, association_host, public_tenant_ensure
    from tracking.models import Case, Interaction, PicklistItem
    from tracking.permissions import Actor

    call_command("migrate_schemas", interactive=False, verbosity=0)
    public_tenant_ensure()
    created = association_create(actor=None, slug=SLUG, name="Association Fiable",
                                 admin_email=f"admin@{SLUG}.example")
    schema, admin = created.association.schema_name, created.admin
    generate_activity(schema_name=schema, cases=40, interactions=120, seed=8,
                      staff_ids_by_role={"admin": [admin.pk]})
    # Admins must have a second factor (tenants/accounts/mfa.py): give this one a TOTP, as the
    # tests' signed_in() does, so that the form is not answered by the set-up page.
    from tests.conftest import totp_give

    totp_give(admin)
    host = association_host(SLUG)
    client = Client(HTTP_HOST=host)
    with schema_context(schema):
        client.force_login(admin, backend=f"{ModelBackend.__module__}.ModelBackend")
        case_id = Case.objects.order_by("pk").values_list("pk", flat=True).first()
        kind = PicklistItem.objects.get(kind="interaction_kind", code="call").pk
        actor = Actor(user=admin, role="admin")
        queued = [ready_import(actor, f"file-{n}.csv", csv_rows(f"Q{n}", ROWS_PER_QUEUED_IMPORT))
                  for n in range(1, QUEUED_IMPORTS + 1)]
        # One per way of killing a worker (the whole process, a pool process).
        killed = {way: ready_import(actor, f"{way}.csv", csv_rows(way, ROWS_OF_THE_KILLED_IMPORT))
                  for way in ("KW", "KC")}
        large = checked_import(actor, "large.csv", csv_rows("L", LARGE_IMPORT_ROWS))
    form = {"kind": kind, "channel": "phone",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "essai du formulaire"}
    # The form the test will post, tried once here: it must be accepted.
    response = client.post(f"/dossiers/{case_id}/echanges/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(schema):
        assert Interaction.objects.filter(summary="essai du formulaire").count() == 1
    sys.stdout.write(json.dumps({
        "schema": schema, "host": host, "admin_id": admin.pk, "case_id": case_id,
        "session": client.cookies["sessionid"].value, "form": form,
        "queued_imports": queued, "rows_per_queued_import": ROWS_PER_QUEUED_IMPORT,
        "killed_imports": killed, "rows_of_the_killed_import": ROWS_OF_THE_KILLED_IMPORT,
        "large_import": large, "large_import_rows": LARGE_IMPORT_ROWS,
    }) + "\n")


if __name__ == "__main__":
    main()
