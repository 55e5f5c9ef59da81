"""Tasks of data imports. Enqueued from an association's host, they run in its schema
(tenant-schemas-celery stamps it on the message); each also takes the schema name and
refuses to run anywhere else. Both are safe to run twice: a dry run only rewrites its
report, and a committed import is left as it is.

The worker finds these tasks through `onboarding/tasks.py`, which imports this module
(Celery's autodiscovery reads `<app>.tasks`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tenants.models import User
from tracking.models import ImportRun
from tracking.permissions import Actor


def _in_schema(name: str, schema_name: str) -> None:
    if current_schema() != schema_name:
        raise RuntimeError(f"{name} ran outside its association's schema")


def _fail(run_id: int) -> None:
    ImportRun.objects.filter(
        pk=run_id, status__in=[ImportRun.Status.VALIDATING, ImportRun.Status.COMMITTING],
    ).update(status=ImportRun.Status.FAILED, failure=_(
        "L'opération a échoué de façon inattendue ; rien n'a été importé. Réessayez, ou "
        "contactez le support si cela se reproduit."))


@app.task(name="onboarding.import_validate_task")
def import_validate_task(run_id: int, schema_name: str) -> dict[str, object]:
    """The dry run of an import; returns its counts and the schema it ran in."""
    from onboarding.importing.services import import_validate

    _in_schema("import_validate_task", schema_name)
    try:
        run = import_validate(run_id=run_id)
    except Exception:
        _fail(run_id)
        raise
    return {"schema": current_schema(), "status": run.status, "errors": run.error_count,
            "create": run.to_create, "update": run.to_update, "unchanged": run.unchanged}


@app.task(name="onboarding.import_commit_task")
def import_commit_task(run_id: int, schema_name: str, user_id: int) -> dict[str, object]:
    """Write an import (all or nothing) as the admin who asked for it."""
    from onboarding.importing.services import import_commit
    from tenants.accounts.selectors import member_list

    _in_schema("import_commit_task", schema_name)
    membership = member_list(schema_name=schema_name).filter(user_id=user_id).first()
    if membership is None:
        _fail(run_id)
        return {"schema": current_schema(), "status": ImportRun.Status.FAILED}
    actor = Actor(user=User.objects.get(pk=user_id), role=membership.role)
    try:
        run = import_commit(actor=actor, run_id=run_id)
    except Exception:
        _fail(run_id)
        raise
    return {"schema": current_schema(), "status": run.status, "errors": run.error_count,
            "create": run.to_create, "update": run.to_update, "unchanged": run.unchanged}
