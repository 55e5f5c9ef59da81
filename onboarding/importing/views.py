"""The import pages (association admins): upload a file, map its columns, dry run, commit,
follow the progress of a large file, read the report.

On an association's host (its schema is active). Anyone but an admin of this association
gets 404, pages and actions alike (tracking.access.admin_of); other associations' members
never get past the membership check (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding.importing import services
from onboarding.importing.parsing import MAX_BYTES, MAX_ROWS, check_name_and_size, fold
from onboarding.samples.make_monday_sample import SAMPLE
from relier_platform.errors import ApplicationError
from relier_platform.tenancy import current_schema
from tenants.outbox.services import enqueue
from tracking.access import admin_of
from tracking.models import ImportRun
from tracking.permissions import Actor


def _limits() -> dict[str, Any]:
    return {"max_mb": MAX_BYTES // 1024 // 1024,
            "max_rows": f"{MAX_ROWS:,}".replace(",", "\u202f")}


@require_http_methods(["GET", "POST"])
def import_home(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(_("Choisissez un fichier à importer."),
                                       code=services.ErrorCode.VALUE_RANGE, field="file")
            # Refused on its name and size before a byte is read.
            check_name_and_size(upload.name or "", upload.size or 0)
            run = services.import_upload(actor=actor, file_name=upload.name or "",
                                         content=upload.read())
        except ApplicationError as failure:
            error = failure.message
        else:
            return redirect("import_run", run_id=run.pk)
    return render(request, "onboarding/import_home.html",
                  {"runs": services.import_run_list(), "error": error, **_limits()},
                  status=400 if error else 200)


@require_GET
def import_sample(request: HttpRequest) -> FileResponse:
    admin_of(request)
    return FileResponse(SAMPLE.open("rb"), as_attachment=True,
                        filename="exemple-export-monday.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet")


def _context(run: ImportRun, **extra: Any) -> dict[str, Any]:
    targets = services.mapping_choices()
    columns = [{**c, "chosen": run.mapping.get(str(c["index"]), "")} for c in run.columns]
    editable = run.status in (ImportRun.Status.UPLOADED, ImportRun.Status.VALIDATED,
                              ImportRun.Status.FAILED)
    return {
        "run": run, "columns": columns, "targets": targets, "editable": editable,
        "unmatched": services.unmatched_values(run) if editable else [],
        "earlier": services.earlier_import(run),
        "progress": services.progress_of(run),
        "has_external_id": "external_id" in run.mapping.values(),
        "can_commit": (run.status == ImportRun.Status.VALIDATED and not run.error_count
                       and run.validated_at is not None),
        **extra,
    }


@require_GET
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = admin_of(request)
    run = services.access_import_run(actor, run_id)
    return render(request, "onboarding/import_run.html", _context(run))


def _posted_mapping(post: QueryDict) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    mapping = {key[4:]: str(value) for key, value in post.items() if key.startswith("col_")}
    values: dict[str, dict[str, str]] = {}
    for key, raw in post.items():
        if key.startswith("raw_"):
            index, _sep, n = key[4:].partition("_")
            code = post.get(f"val_{index}_{n}", "")
            if code:
                values.setdefault(index, {})[fold(str(raw))] = code
    return mapping, values


def _enqueue(actor: Actor, run: ImportRun, *, commit: bool) -> None:
    schema = current_schema()
    if commit:
        enqueue("onboarding.import_commit_task", args=(run.pk, schema, actor.id))
    else:
        enqueue("onboarding.import_validate_task", args=(run.pk, schema))


@require_POST
def import_mapping(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = admin_of(request)
    run = services.access_import_run(actor, run_id)
    mapping, values = _posted_mapping(request.POST)
    try:
        run = services.import_mapping_save(actor=actor, run=run, mapping=mapping,
                                           value_mapping=values)
        if request.POST.get("action") == "dry_run":
            if run.total_rows <= services.INLINE_ROWS:
                services.import_validate(run_id=run.pk)
            else:
                with transaction.atomic():  # the status and its task, or neither
                    services.import_start(actor=actor, run=run,
                                          status=ImportRun.Status.VALIDATING)
                    _enqueue(actor, run, commit=False)
            return redirect(f"{reverse('import_run', args=[run.pk])}#rapport")
    except ApplicationError as error:
        run.refresh_from_db()
        return render(request, "onboarding/import_run.html",
                      _context(run, error=error.message), status=400)
    messages.success(request, _("Correspondance des colonnes enregistrée."))
    return redirect(f"{reverse('import_run', args=[run.pk])}#colonnes")


@require_POST
def import_commit(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = admin_of(request)
    run = services.access_import_run(actor, run_id)
    try:
        if run.total_rows <= services.INLINE_ROWS:
            run = services.import_commit(actor=actor, run_id=run.pk)
        else:
            with transaction.atomic():  # the status and its task, or neither
                run = services.import_start(actor=actor, run=run,
                                            status=ImportRun.Status.COMMITTING)
                _enqueue(actor, run, commit=True)
    except ApplicationError as error:
        run.refresh_from_db()
        return render(request, "onboarding/import_run.html",
                      _context(run, error=error.message), status=400)
    return redirect(f"{reverse('import_run', args=[run.pk])}#rapport")


@require_GET
def import_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    actor = admin_of(request)
    run = services.access_import_run(actor, run_id)
    return JsonResponse(services.progress_of(run))
