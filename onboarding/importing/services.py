"""Import runs: upload, column mapping, dry run, and the all-or-nothing commit.

Schema: tenant (run on an association's host or in a task stamped with its schema).
Association admins only. The file is kept in `tracking.ImportRun.content`, in the
association's own schema, until the import is committed; then only its name, size and
SHA-256 stay, with the report.

Commit: the file is read and every row checked again inside one transaction, with the
cases it updates locked; one error and nothing is written. Cases are written in bulk
(10,000 rows in a few seconds), each with its history (opening or edit event, stage
history) and an audit entry, like the case services write them one by one; one more audit
entry records the import itself. Committing twice is harmless: a committed run is left
as it is.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.importing import rows as row_checks
from onboarding.importing.parsing import Table, blank, cell_text, fold, read_table
from onboarding.importing.targets import (
    MULTIPLE,
    Target,
    case_targets,
    choices_for,
    published_stages,
    suggest,
)
from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.models import Role
from tracking.audit.services import audit_record
from tracking.models import (
    AuditLog,
    Case,
    CaseEvent,
    ImportRun,
    Partner,
    PicklistItem,
    PicklistKind,
    StageChange,
)
from tracking.permissions import Actor

# Up to this many rows the dry run and the commit run within the request; larger files
# go through a Celery task and a progress page.
INLINE_ROWS = 1000
DISTINCT_VALUES = 200
Status = ImportRun.Status


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise ApplicationError(_("Seuls les administrateurs importent des données."),
                               code=ErrorCode.NOT_ALLOWED)


def access_import_run(actor: Actor, run_id: Any) -> ImportRun:
    """An import of this association, for its admins; 404 for everything else, alike."""
    if actor.role != Role.ADMIN:
        raise Http404
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise Http404 from None
    run = ImportRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def import_run_list() -> list[ImportRun]:
    return list(ImportRun.objects.defer("content")[:20])


# --- Upload and mapping --------------------------------------------------------------------


def _columns(table: Table) -> list[dict[str, Any]]:
    columns = []
    for index, header in enumerate(table.headers):
        values: dict[str, None] = {}
        for row in table.rows:
            value = row.cells[index]
            if not blank(value):
                values.setdefault(cell_text(value), None)
                if len(values) > DISTINCT_VALUES:
                    break
        distinct = list(values)
        columns.append({"index": index, "header": header, "samples": distinct[:3],
                        "values": distinct[:DISTINCT_VALUES],
                        "more": len(distinct) > DISTINCT_VALUES})
    return columns


def import_upload(*, actor: Actor, file_name: str, content: bytes) -> ImportRun:
    """Read the file (refused at once if it cannot be read) and keep it with suggested
    column mappings."""
    _require_admin(actor)
    file_name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    table = read_table(content, file_name)
    with transaction.atomic():
        run = ImportRun.objects.create(
            created_by_id=actor.id, file_name=file_name, file_size=len(content),
            file_sha256=hashlib.sha256(content).hexdigest(), file_format=table.file_format,
            content=content, columns=_columns(table), total_rows=len(table.rows),
            mapping=suggest(table.headers, case_targets()),
        )
        audit_record(actor=actor, action="import.upload", obj=run, file=run.file_name,
                     sha256=run.file_sha256, rows=run.total_rows, format=run.file_format)
    return run


def earlier_import(run: ImportRun) -> ImportRun | None:
    """The same file, committed before (a re-import updates what it imported)."""
    return (ImportRun.objects.defer("content")
            .filter(file_sha256=run.file_sha256, status=Status.COMMITTED)
            .exclude(pk=run.pk).order_by("-committed_at").first())


def _editable(run: ImportRun) -> None:
    if run.status == Status.COMMITTED:
        raise ApplicationError(_("Cet import est déjà fait : déposez le fichier à nouveau "
                                 "pour le ré-importer."), code=ErrorCode.CONFLICT)
    if run.is_running:
        raise ApplicationError(_("Une vérification ou un import de ce fichier est en "
                                 "cours : attendez qu'il se termine."), code=ErrorCode.CONFLICT)


def import_mapping_save(*, actor: Actor, run: ImportRun, mapping: Mapping[str, str],
                        value_mapping: Mapping[str, Mapping[str, str]]) -> ImportRun:
    """Which column becomes what, and which value of a list each unrecognised value of the
    file stands for. A change forgets the last dry run."""
    _require_admin(actor)
    _editable(run)
    targets = case_targets()
    headers = {str(c["index"]): c["header"] for c in run.columns}
    chosen: dict[str, str] = {}
    used: dict[str, str] = {}
    for index, key in mapping.items():
        if index not in headers or not key:
            continue
        if key not in targets:
            raise ApplicationError(_("La colonne « %(column)s » : destination inconnue.")
                                   % {"column": headers[index]}, code=ErrorCode.VALUE_RANGE)
        if key in used:
            raise ApplicationError(
                _("« %(target)s » est choisi pour deux colonnes : « %(a)s » et « %(b)s ». "
                  "Choisissez « Ignorer » pour l'une d'elles.")
                % {"target": targets[key].label, "a": used[key], "b": headers[index]},
                code=ErrorCode.VALUE_RANGE)
        used[key] = headers[index]
        chosen[index] = key
    values: dict[str, dict[str, str]] = {}
    stages = published_stages()
    for index, pairs in value_mapping.items():
        target = targets.get(chosen.get(index, ""))
        if target is None or not target.has_choices:
            continue
        codes = {c.code for c in choices_for(target, stages).choices}
        kept = {fold(raw): code for raw, code in pairs.items() if code in codes}
        if kept:
            values[index] = kept
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().defer("content").get(pk=run.pk)
        _editable(locked)
        locked.mapping, locked.value_mapping = chosen, values
        locked.status, locked.errors, locked.error_count = Status.UPLOADED, [], 0
        locked.to_create = locked.to_update = locked.unchanged = 0
        locked.validated_at = None
        locked.save(update_fields=["mapping", "value_mapping", "status", "errors",
                                   "error_count", "to_create", "to_update", "unchanged",
                                   "validated_at"])
    return locked


def unmatched_values(run: ImportRun) -> list[dict[str, Any]]:
    """For each mapped list column: the file's values no list value matches, with the
    choices offered (the mapping screen asks which one each stands for)."""
    targets = case_targets()
    stages = published_stages()
    result = []
    for column in run.columns:
        target = targets.get(run.mapping.get(str(column["index"]), ""))
        if target is None or not target.has_choices:
            continue
        choices = choices_for(target, stages)
        chosen = run.value_mapping.get(str(column["index"]), {})
        values: dict[str, None] = {}
        for value in column["values"]:
            parts = row_checks.SPLIT.split(value) if target.kind == MULTIPLE else [value]
            for part in (p.strip() for p in parts):
                if part and choices.match(part) is None:
                    values.setdefault(part, None)
        if values:
            result.append({
                "index": column["index"], "header": column["header"], "target": target,
                "choices": choices.choices,
                "values": [{"value": v, "folded": fold(v), "chosen": chosen.get(fold(v), "")}
                           for v in values],
            })
    return result


def mapping_choices() -> list[Target]:
    return list(case_targets().values())


# --- Progress (read by the progress page while a task runs) -------------------------------


def _progress_key(run_id: int) -> str:
    return f"import-progress:{current_schema()}:{run_id}"


def _progress(run_id: int, done: int, total: int) -> None:
    cache.set(_progress_key(run_id), {"done": done, "total": total}, 60 * 60)


def progress_of(run: ImportRun) -> dict[str, Any]:
    stored = cache.get(_progress_key(run.pk)) or {}
    total = stored.get("total") or run.total_rows or 1
    done = total if not run.is_running else min(stored.get("done", 0), total)
    return {"status": run.status, "label": str(run.get_status_display()),
            "running": run.is_running, "done": done, "total": total,
            "percent": int(100 * done / total)}


# --- Dry run -------------------------------------------------------------------------------


def _checker(run: ImportRun) -> row_checks.Checker:
    table = read_table(bytes(run.content), run.file_name)
    return row_checks.Checker(table, run.mapping, run.value_mapping)


def _store_check(run: ImportRun, checked: row_checks.Checked) -> None:
    run.errors = list(row_checks.iter_errors(checked.errors))
    run.error_count = len(checked.errors)
    run.to_create, run.to_update = len(checked.to_create), len(checked.to_update)
    run.unchanged = len(checked.unchanged)
    run.partners_to_create = checked.new_partners


def import_start(*, actor: Actor, run: ImportRun, status: str) -> ImportRun:
    """Mark a dry run (VALIDATING) or a commit (COMMITTING) as started, before its task."""
    _require_admin(actor)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().defer("content").get(pk=run.pk)
        _editable(locked)
        if status == Status.COMMITTING:
            _committable(locked)
        locked.status = status
        locked.save(update_fields=["status"])
    _progress(run.pk, 0, run.total_rows)
    return locked


def import_validate(*, run_id: int) -> ImportRun:
    """The dry run: every row checked, nothing written but the report on the run."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status == Status.COMMITTED:
        return run
    started = (run.status, run.mapping, run.value_mapping)
    _progress(run.pk, 0, run.total_rows)
    try:
        checker = _checker(run)
        checked = checker.check(progress=lambda done: _progress(run.pk, done, run.total_rows))
    except ApplicationError as error:
        run.status, run.failure = Status.FAILED, error.message[:500]
        return _report_save(run, started, ["status", "failure"])
    _store_check(run, checked)
    run.status, run.failure, run.validated_at = Status.VALIDATED, "", timezone.now()
    run = _report_save(run, started, [
        "errors", "error_count", "to_create", "to_update", "unchanged", "partners_to_create",
        "status", "failure", "validated_at"])
    _progress(run.pk, run.total_rows, run.total_rows)
    return run


def _report_save(run: ImportRun, started: tuple[str, Any, Any],
                 fields: list[str]) -> ImportRun:
    """Store a dry run's outcome only if the run is as it was when the check began (read
    under the row's lock): a commit started or ended meanwhile, or a new column mapping,
    makes this report stale (a dry run delivered twice, or late) — what is there stands."""
    with transaction.atomic():
        now = (ImportRun.objects.select_for_update().filter(pk=run.pk)
               .values_list("status", "mapping", "value_mapping").get())
        if now != started:
            return ImportRun.objects.get(pk=run.pk)
        run.save(update_fields=fields)
    return run


# --- Commit --------------------------------------------------------------------------------


class _RefusedError(Exception):
    def __init__(self, checked: row_checks.Checked) -> None:
        super().__init__("rows refused")
        self.checked = checked


def _committable(run: ImportRun) -> None:
    if run.validated_at is None or run.error_count:
        raise ApplicationError(_("Lancez d'abord la vérification, et corrigez ses erreurs : "
                                 "l'import n'écrit rien tant qu'une ligne est refusée."),
                               code=ErrorCode.VALUE_RANGE)


def import_commit(*, actor: Actor, run_id: int) -> ImportRun:
    """Write every row, or nothing. Returns the run with its report."""
    _require_admin(actor)
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=run_id)
            if run.status == Status.COMMITTED:
                return run
            _committable(run)
            checker = _checker(run)
            checked = checker.check(
                lock=True, progress=lambda done: _progress(run.pk, done * 4 // 5,
                                                           run.total_rows))
            if checked.errors:
                raise _RefusedError(checked)
            _write(actor, run, checked)
            _store_check(run, checked)
            run.status, run.failure = Status.COMMITTED, ""
            run.committed_at, run.committed_by_id = timezone.now(), actor.id
            run.content = b""
            run.save()
            audit_record(actor=actor, action="import.commit", obj=run, file=run.file_name,
                         sha256=run.file_sha256, created=run.to_create,
                         updated=run.to_update, unchanged=run.unchanged,
                         partners=len(run.partners_to_create))
    except _RefusedError as refused:
        # The data changed since the dry run: its new errors are shown, nothing written.
        run = ImportRun.objects.get(pk=run_id)
        _store_check(run, refused.checked)
        run.status = Status.VALIDATED
        run.failure = _("Rien n'a été importé : des lignes sont refusées (les données ont "
                        "changé depuis la vérification).")
        run.save()
    except ApplicationError as error:
        run = ImportRun.objects.get(pk=run_id)
        if run.status == Status.COMMITTING:
            run.status = Status.VALIDATED if run.validated_at else Status.UPLOADED
        run.failure = error.message[:500]
        run.save(update_fields=["status", "failure"])
        if error.code == ErrorCode.NOT_ALLOWED:
            raise
    _progress(run_id, run.total_rows, run.total_rows)
    return run


def _allocate_codes(years: Counter[int]) -> dict[int, Iterator[str]]:
    """Case numbers for `n` new cases per year, taken at once from the counter."""
    codes: dict[int, Iterator[str]] = {}
    with connection.cursor() as cursor:
        for year, n in sorted(years.items()):
            cursor.execute(
                "INSERT INTO tracking_casecodecounter (year, last) VALUES (%s, %s) "
                "ON CONFLICT (year) DO UPDATE SET last = tracking_casecodecounter.last + "
                "EXCLUDED.last RETURNING last", [year, n])
            (last,) = cursor.fetchone()
            numbers = range(last - n + 1, last + 1)
            codes[year] = iter([f"{year}-{number:04d}" for number in numbers])
    return codes


def _partner_kind() -> PicklistItem:
    kinds = PicklistItem.objects.filter(kind=PicklistKind.PARTNER_TYPE, is_archived=False)
    kind = kinds.filter(code="other").first() or kinds.order_by("position").first()
    if kind is None:
        raise ApplicationError(_("La liste des types de partenaire est vide : ajoutez-y un "
                                 "élément avant d'importer des partenaires."),
                               code=ErrorCode.PICKLIST_INVALID)
    return kind


def _import_comment(run: ImportRun) -> str:
    return (_("Import de %(file)s") % {"file": run.file_name})[:500]


def _write(actor: Actor, run: ImportRun, checked: row_checks.Checked) -> None:
    """Partners, new cases, changed cases, their links, history and audit, in bulk."""
    now = timezone.now()
    batch = _Batch(actor=actor, run=run, now=now)
    batch.partners = _create_partners(batch, checked.new_partners)
    batch.create(checked.to_create)
    batch.update(checked.to_update)
    batch.save()


def _create_partners(batch: _Batch, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    kind = _partner_kind()
    created = Partner.objects.bulk_create([Partner(name=name[:200], kind=kind)
                                           for name in names])
    batch.audits += [batch.audit("partner.create", "partner", p.pk) for p in created]
    return {fold(p.name): p.pk for p in created}


class _Batch:
    """What one commit writes, gathered then inserted in bulk."""

    def __init__(self, *, actor: Actor, run: ImportRun, now: Any) -> None:
        self.actor, self.run, self.now = actor, run, now
        self.via = {"via": "import", "import": run.pk}
        self.partners: dict[str, int] = {}
        self.audits: list[AuditLog] = []
        self.events: list[CaseEvent] = []
        self.changes: list[StageChange] = []
        self.situations: list[tuple[int, int]] = []
        self.staff: list[tuple[int, int]] = []
        self.replaced: dict[str, set[int]] = {"situation_types": set(),
                                              "assigned_staff": set()}

    def audit(self, action: str, obj_type: str, pk: int, **detail: Any) -> AuditLog:
        return AuditLog(actor_id=self.actor.id, action=action, object_type=obj_type,
                        object_id=str(pk), detail={**detail, **self.via})

    def _values(self, row: row_checks.CaseRow) -> dict[str, Any]:
        values = dict(row.scalars)
        if row.new_partner:
            values["referring_partner_id"] = self.partners[fold(row.new_partner)]
        return values

    def _links(self, row: row_checks.CaseRow, case_id: int) -> None:
        if row.situation_types is not None:
            self.situations += [(case_id, i) for i in row.situation_types]
        if row.assigned_staff is not None:
            self.staff += [(case_id, u) for u in row.assigned_staff]

    def create(self, rows: list[row_checks.CaseRow]) -> None:
        codes = _allocate_codes(Counter(r.scalars["opened_on"].year for r in rows))
        cases = []
        for row in rows:
            values = self._values(row)
            cases.append(Case(code=next(codes[values["opened_on"].year]),
                              external_id=row.external_id, custom=row.custom or {},
                              created_at=self.now, updated_at=self.now,
                              stage_entered_at=self.now if values.get("stage_id") else None,
                              **values))
        Case.objects.bulk_create(cases, batch_size=1000)
        for row, case in zip(rows, cases, strict=True):
            self._links(row, case.pk)
            if case.stage_id:
                self.changes.append(StageChange(case=case, actor_id=self.actor.id,
                                                to_stage_id=case.stage_id, at=self.now,
                                                comment=_import_comment(self.run)))
            self.events.append(CaseEvent(case=case, actor_id=self.actor.id, kind="opened",
                                         at=self.now, detail=self.via))
            self.audits.append(self.audit("case.create", "case", case.pk))

    def update(self, rows: list[row_checks.CaseRow]) -> None:
        updated: list[Case] = []
        fields: set[str] = {"version", "updated_at"}
        for row in rows:
            case = row.existing
            assert case is not None
            values = self._values(row)
            if values.get("stage_id", case.stage_id) != case.stage_id:
                self.changes.append(StageChange(
                    case=case, actor_id=self.actor.id, at=self.now,
                    from_stage_id=case.stage_id, to_stage_id=values["stage_id"],
                    comment=_import_comment(self.run)))
                case.stage_entered_at = self.now
                fields.add("stage_entered_at")
            for name, value in values.items():
                setattr(case, name, value)
                fields.add(name)
            if row.custom is not None:
                case.custom = row.custom
                fields.add("custom")
            case.version += 1
            case.updated_at = self.now
            updated.append(case)
            for name, cases in self.replaced.items():
                if name in row.changes:
                    cases.add(case.pk)
            self._links(_only_changed(row), case.pk)
            names = sorted({n.removesuffix("_id") for n in row.changes})
            self.events.append(CaseEvent(case=case, actor_id=self.actor.id, kind="edited",
                                         at=self.now, detail={"fields": names, **self.via}))
            self.audits.append(self.audit("case.update", "case", case.pk, fields=names))
        if updated:
            Case.objects.bulk_update(updated, sorted(fields), batch_size=1000)

    def save(self) -> None:
        situation_through = Case.situation_types.through
        staff_through = Case.assigned_staff.through
        situation_through.objects.filter(case_id__in=self.replaced["situation_types"]).delete()
        staff_through.objects.filter(case_id__in=self.replaced["assigned_staff"]).delete()
        situation_through.objects.bulk_create(
            [situation_through(case_id=c, picklistitem_id=i) for c, i in self.situations],
            batch_size=5000)
        staff_through.objects.bulk_create(
            [staff_through(case_id=c, user_id=u) for c, u in self.staff], batch_size=5000)
        StageChange.objects.bulk_create(self.changes, batch_size=2000)
        CaseEvent.objects.bulk_create(self.events, batch_size=2000)
        AuditLog.objects.bulk_create(self.audits, batch_size=2000)


def _only_changed(row: row_checks.CaseRow) -> row_checks.CaseRow:
    """The row's links that replace the case's own (those that changed)."""
    return row_checks.CaseRow(
        number=row.number,
        situation_types=row.situation_types if "situation_types" in row.changes else None,
        assigned_staff=row.assigned_staff if "assigned_staff" in row.changes else None)
