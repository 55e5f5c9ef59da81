"""Closing an association (offboarding), confirmed twice. Schema: public (the export reads
the association's schema; the last step drops it).

1. **Request** (`association_closure_request`): an admin of the association, or a platform
   operator, types the association's address (slug). Who and when are kept; the
   association becomes `closing`: read-only (tenants.offboarding.middleware), reading and
   the export remain; its admins are told by e-mail; it leaves its networks' later
   publications; a Stripe subscription is set to end at the end of its period. The full
   export (tenants.offboarding.export: ZIP of CSVs + manifest, and the pg_dump of
   tenants.offboarding.backup for a restore) is made by a task and offered to the admins only; it
   leaves clinical notes out. Each psychologist downloads the notes of their cases apart
   (tenants.offboarding.clinical, told by e-mail). Both downloads ask for a recent
   re-authentication (in the views) and are audited.
2. **Grace period** (settings.CLOSURE_GRACE_DAYS, 30 by default): the request can be
   cancelled (`association_closure_cancel`) and everything is as before.
3. **Confirmation** (`association_closure_confirm`) by an operator who is not the person
   who requested it (four eyes), only after the grace period and once the export is made
   and intact: the schema is dropped (`DROP SCHEMA … CASCADE`), the domains removed (its
   host answers "Adresse inconnue"), and the association row stays as a tombstone — state
   `closed`, dates, who requested and confirmed, the SHA-256 of the export. All in one
   transaction: a failure leaves everything as it was. Once it is committed, the export
   files (ZIP, dump, manifest) are deleted too: no copy of the data stays on the platform;
   the audit entry names them.

Every step writes an AuditEntry.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_exists

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import db
from tenants.models import (
    Association,
    IndicatorContribution,
    Membership,
    NetworkMembership,
    Role,
    User,
    forget_hosts,
)
from tenants.offboarding.backup import association_backup, manifest_path
from tenants.offboarding.clinical import clinicians_notify
from tenants.offboarding.export import ExportError, export_zip, file_sha256
from tenants.outbox.services import enqueue
from tenants.tenancy.services import association_host, audit, site_url

log = logging.getLogger(__name__)

State = Association.State


# --- who may do what -----------------------------------------------------------------


def is_operator(user: User) -> bool:
    return bool(user.is_active and user.is_staff)


def is_admin_of(user: User, association: Association) -> bool:
    return Membership.objects.filter(user=user, association=association, role=Role.ADMIN,
                                     is_active=True, user__is_active=True).exists()


def _require_admin_or_operator(actor: User, association: Association) -> None:
    if not (is_operator(actor) or is_admin_of(actor, association)):
        raise ApplicationError(
            _("Seuls les administrateurs de l'association ou un opérateur de la plateforme "
              "peuvent demander sa fermeture."), code=ErrorCode.NOT_ALLOWED)


def _require_slug(association: Association, typed: str) -> None:
    if (typed or "").strip().lower() != association.slug:
        raise ApplicationError(
            _("Pour confirmer, tapez exactement l'adresse de l'association : « %(slug)s ».")
            % {"slug": association.slug}, code=ErrorCode.CONFLICT, field="slug")


def _locked(association: Association) -> Association:
    """The row, locked, read again (its state may have changed since it was loaded)."""
    return Association.objects.select_for_update().get(pk=association.pk)


def _forget_after_commit(association: Association, hosts: list[str]) -> None:
    """The host → association cache holds the whole row (its state): a request between the
    save and the commit could have cached the old one, so drop it again after commit."""
    transaction.on_commit(lambda: forget_hosts(*hosts))


def _hosts(association: Association) -> list[str]:
    return list(association.domains.values_list("domain", flat=True))


# --- 1. request ----------------------------------------------------------------------


def association_closure_request(*, actor: User, association: Association,
                                slug_typed: str) -> Association:
    """First confirmation: the association becomes `closing` (read-only) for the grace
    period; the export, the e-mails, the networks and Stripe follow after commit."""
    _require_admin_or_operator(actor, association)
    _require_slug(association, slug_typed)
    # Called on the association's own host too: its public tables are on the search_path.
    with transaction.atomic():
        locked = _locked(association)
        if locked.state != State.ACTIVE or not locked.is_active:
            raise ApplicationError(_("La fermeture de cette association est déjà demandée."),
                                   code=ErrorCode.CONFLICT)
        now = timezone.now()
        locked.state = State.CLOSING
        locked.closure_requested_at, locked.closure_requested_by = now, actor
        locked.closure_not_before = now + timedelta(days=settings.CLOSURE_GRACE_DAYS)
        locked.save(update_fields=["state", "closure_requested_at", "closure_requested_by",
                                   "closure_not_before"])
        audit("association.closure_requested", actor=actor, association=locked,
              not_before=locked.closure_not_before.isoformat(),
              by_operator=not is_admin_of(actor, locked))
        _forget_after_commit(locked, _hosts(locked))
        # The export, Stripe and the networks: tasks written with the request itself
        # (tenants/outbox/services.py), so that none is lost whatever happens after the commit.

        enqueue("tenants.association_export_task", args=(locked.pk,))
        enqueue("tenants.association_closure_billing_task", args=(locked.pk,))
        _leave_publications(locked)
        pk = locked.pk
        transaction.on_commit(
            lambda: _notify_admins(Association.objects.get(pk=pk), "requested"))
        transaction.on_commit(lambda: clinicians_notify(Association.objects.get(pk=pk)))
    return locked


def _leave_publications(association: Association) -> None:
    """Publish its networks again now: a closing association shares nothing (see
    tenants.networks.services.network_members), so its figures leave them at once."""
    from tenants.networks.services import publication_enqueue

    network_ids = list(NetworkMembership.objects.filter(
        association=association, withdrawn_at__isnull=True).values_list("network_id",
                                                                         flat=True))
    if network_ids:
        publication_enqueue(associations=[association], network_ids=network_ids)


# --- the export ----------------------------------------------------------------------


def export_dir(association: Association) -> Path:
    return Path(settings.OFFBOARDING_EXPORT_DIR) / association.slug


def export_path(association: Association) -> Path | None:
    """The export's file, if one was made and is still there."""
    if not association.export_file:
        return None
    path = Path(settings.OFFBOARDING_EXPORT_DIR) / association.export_file
    return path if path.is_file() else None


def export_intact(association: Association) -> bool:
    path = export_path(association)
    return path is not None and file_sha256(path) == association.export_sha256


def association_export_build(*, association_id: int, with_dump: bool = True) -> Association:
    """Make the closing association's export (safe to run twice: an intact export is kept).
    `with_dump` adds the pg_dump for a restore (another connection: committed data only)."""
    association = Association.objects.get(pk=association_id)
    if association.state != State.CLOSING:
        raise ApplicationError(_("L'export de fermeture n'est fait que pendant la fermeture."),
                               code=ErrorCode.CONFLICT)
    if export_intact(association):
        return association
    folder = export_dir(association)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{association.slug}-{stamp}.zip"
    dump_file = folder / f"{association.slug}-{stamp}.dump"
    made: list[Path] = []
    try:
        dump = None
        if with_dump:
            made += [dump_file, manifest_path(dump_file)]
            association_backup(slug=association.slug, out=dump_file)
            dump = {"file": dump_file.name, "sha256": file_sha256(dump_file)}
        made.append(target)
        tables = export_zip(association, target, dump=dump)
        digest = file_sha256(target)
        with transaction.atomic():
            locked = _locked(association)
            if locked.state != State.CLOSING:  # cancelled meanwhile: keep nothing
                raise ApplicationError(_("La fermeture a été annulée entre-temps."),
                                       code=ErrorCode.CONFLICT)
            locked.export_file = str(target.relative_to(settings.OFFBOARDING_EXPORT_DIR))
            locked.export_sha256, locked.export_made_at = digest, timezone.now()
            locked.save(update_fields=["export_file", "export_sha256", "export_made_at"])
            audit("association.export_made", association=locked, sha256=digest,
                  tables=len(tables), rows=sum(t.rows for t in tables),
                  restore_dump=dump["file"] if dump else None)
    except Exception:
        for path in made:
            path.unlink(missing_ok=True)
        raise
    return locked


def export_download_record(*, actor: User, association: Association) -> Path:
    """The ZIP an admin may download (recorded); refused when there is none. It holds no
    clinical note (tenants.offboarding.export)."""
    if not is_admin_of(actor, association):
        raise ApplicationError(_("Seuls les administrateurs de l'association téléchargent "
                                 "son export."), code=ErrorCode.NOT_ALLOWED)
    path = export_path(association)
    if association.state != State.CLOSING or path is None:
        raise ApplicationError(_("Aucun export n'est disponible."), code=ErrorCode.NOT_FOUND)
    audit("association.export_downloaded", actor=actor, association=association,
          sha256=association.export_sha256)
    return path


# --- 2. cancel -----------------------------------------------------------------------


def association_closure_cancel(*, actor: User, association: Association) -> Association:
    """During the grace period: back to normal use. The export (a copy of every record)
    is removed, and so recorded, rather than left on disk."""
    _require_admin_or_operator(actor, association)
    with transaction.atomic():
        locked = _locked(association)
        if locked.state != State.CLOSING:
            raise ApplicationError(_("Aucune fermeture n'est en cours."),
                                   code=ErrorCode.CONFLICT)
        folder = export_dir(locked)
        audit("association.closure_cancelled", actor=actor, association=locked,
              requested_at=locked.closure_requested_at.isoformat()
              if locked.closure_requested_at else None,
              export_removed=locked.export_sha256 or None)
        locked.state = State.ACTIVE
        locked.closure_requested_at = locked.closure_requested_by = None
        locked.closure_not_before = locked.export_made_at = None
        locked.export_file = locked.export_sha256 = ""
        locked.save(update_fields=["state", "closure_requested_at", "closure_requested_by",
                                   "closure_not_before", "export_file", "export_sha256",
                                   "export_made_at"])
        # First the copy of the data goes (only once the cancellation is committed).
        transaction.on_commit(lambda: _remove_folder(folder))
        _forget_after_commit(locked, _hosts(locked))

        enqueue("tenants.association_closure_billing_task", args=(locked.pk,))
        pk = locked.pk
        transaction.on_commit(
            lambda: _notify_admins(Association.objects.get(pk=pk), "cancelled"))
    return locked


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _remove_folder(folder: Path) -> None:
    """The association's whole export folder: every export made, not only the last one
    (two builds may have run, or an export been made again)."""
    shutil.rmtree(folder, ignore_errors=True)


# --- 3. confirm and drop -------------------------------------------------------------


def _require_confirmable(association: Association, now: datetime) -> None:
    if association.state != State.CLOSING:
        raise ApplicationError(
            _("La fermeture n'a pas été demandée : rien n'est supprimé sans une demande "
              "puis une confirmation."), code=ErrorCode.CONFLICT)
    if association.closure_not_before is None or now < association.closure_not_before:
        raise ApplicationError(
            _("Le délai de grâce court jusqu'au %(date)s : la suppression ne peut être "
              "confirmée qu'ensuite.") % {"date": date_format(
                  timezone.localtime(association.closure_not_before), "DATETIME_FORMAT")
                  if association.closure_not_before else "?"},
            code=ErrorCode.CONFLICT)
    if not export_intact(association):
        raise ApplicationError(
            _("L'export de l'association manque ou a été modifié : refaites-le avant de "
              "confirmer la suppression."), code=ErrorCode.CONFLICT)


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction must run
        # first: PostgreSQL refuses to drop a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(schema)} CASCADE")


def association_closure_confirm(*, actor: User, association: Association, slug_typed: str,
                                now: datetime | None = None) -> Association:
    """Second confirmation, by an operator, after the grace period: drop the schema, remove
    the domains, keep the row as a tombstone. One transaction."""
    if not is_operator(actor):
        raise ApplicationError(_("Seul un opérateur de la plateforme confirme une fermeture."),
                               code=ErrorCode.NOT_ALLOWED)
    _require_slug(association, slug_typed)
    now = now or timezone.now()
    if db().schema_name != get_public_schema_name():
        db().set_schema_to_public()
    with transaction.atomic():
        locked = _locked(association)
        _require_confirmable(locked, now)
        if locked.closure_requested_by_id == actor.pk:
            raise ApplicationError(
                _("La suppression doit être confirmée par une autre personne que celle qui a "
                  "demandé la fermeture."), code=ErrorCode.NOT_ALLOWED)
        hosts = _hosts(locked)
        folder = export_dir(locked)
        for domain in locked.domains.all():
            domain.delete()
        contributions, _detail = IndicatorContribution.objects.filter(
            association=locked).delete()
        locked.state, locked.is_active = State.CLOSED, False
        locked.closure_confirmed_at, locked.closure_confirmed_by = now, actor
        # The export goes with the data (the admins could download it during the grace
        # period); its SHA-256 stays on the tombstone.
        locked.export_file = ""
        locked.save(update_fields=["state", "is_active", "closure_confirmed_at",
                                   "closure_confirmed_by", "export_file"])
        schema = locked.schema_name
        dropped = schema_exists(schema)
        if dropped:
            _drop_schema(schema)
        audit("association.closed", actor=actor, association=locked, schema=schema,
              schema_dropped=dropped, domains=hosts, export_sha256=locked.export_sha256,
              requested_by=locked.closure_requested_by_id,
              requested_at=locked.closure_requested_at.isoformat()
              if locked.closure_requested_at else None,
              network_contributions_removed=contributions,
              export_files_removed=_files_in(folder))
        # Only once the drop is committed: a failed confirmation leaves the export.
        transaction.on_commit(lambda: _remove_folder(folder))
        _forget_after_commit(locked, hosts)
        pk = locked.pk
        transaction.on_commit(lambda: _notify_admins(Association.objects.get(pk=pk), "closed"))
    return locked


def export_leftovers_remove() -> list[str]:
    """Nightly: remove the export folders no closing association owns any more — left by a
    process that died between a drop (or a cancellation) and the folder's deletion. Each
    removal is audited. Returns the folders' names."""
    root = Path(settings.OFFBOARDING_EXPORT_DIR)
    if not root.is_dir():
        return []
    closing = set(Association.objects.filter(state=State.CLOSING)
                  .values_list("slug", flat=True))
    removed = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in closing):
        if not _looks_like_exports(folder):  # RELIER_EXPORT_DIR set to a shared folder?
            log.warning("export folder %s holds other files: left alone", folder)
            continue
        audit("association.export_leftover_removed", folder=folder.name,
              files=_files_in(folder))
        _remove_folder(folder)
        removed.append(folder.name)
    return removed


def _looks_like_exports(folder: Path) -> bool:
    """Only files, each named like an export of that association (`<slug>-<stamp>.…`)."""
    entries = list(folder.iterdir())
    return all(p.is_file() and p.name.startswith(f"{folder.name}-") for p in entries)


def closures_due(now: datetime | None = None) -> list[Association]:
    """Closing associations whose grace period is over (for the operators' list)."""
    return list(Association.objects.filter(state=State.CLOSING,
                                           closure_not_before__lte=now or timezone.now())
                .order_by("closure_not_before"))


# --- e-mails -------------------------------------------------------------------------


def _notify_admins(association: Association, event: str) -> None:
    recipients = sorted(Membership.objects.filter(
        association=association, role=Role.ADMIN, is_active=True, user__is_active=True)
        .values_list("user__email", flat=True))
    if not recipients:
        return
    name = association.name
    if event == "requested":
        subject = _("Fermeture de %(name)s demandée") % {"name": name}
        body = _(
            "La fermeture de l'association %(name)s a été demandée le %(at)s.\n\n"
            "Jusqu'au %(until)s, l'espace reste lisible mais n'accepte plus aucune "
            "modification. L'export de vos données (CSV et manifeste JSON) est "
            "téléchargeable par les administrateurs sur %(url)s. Il ne contient pas les "
            "notes cliniques : seuls les psychologues de l'association les téléchargent, "
            "chacun celles des dossiers qu'il suit.\n\n"
            "Après cette date, un opérateur de la plateforme pourra confirmer la "
            "suppression définitive des données ; l'export est alors supprimé lui aussi : "
            "téléchargez-le avant. Pour annuler la fermeture d'ici là, rendez-vous sur la "
            "même page."
        ) % {"name": name,
             "at": date_format(timezone.localtime(association.closure_requested_at),
                               "DATETIME_FORMAT") if association.closure_requested_at else "",
             "until": date_format(timezone.localtime(association.closure_not_before),
                                  "DATETIME_FORMAT") if association.closure_not_before else "",
             "url": site_url(association_host(association.slug), "/parametres/fermeture/")}
    elif event == "cancelled":
        subject = _("Fermeture de %(name)s annulée") % {"name": name}
        body = _("La fermeture de l'association %(name)s a été annulée : l'espace "
                 "fonctionne de nouveau normalement.") % {"name": name}
    else:
        subject = _("%(name)s est fermée") % {"name": name}
        body = _("La fermeture de l'association %(name)s a été confirmée : ses données ont "
                 "été supprimées de la plateforme.") % {"name": name}
    try:
        send_mail(subject, body, None, recipients)
    except OSError:  # the state change stands; the e-mail failure is logged
        log.exception("closure e-mail (%s) to the admins of %s failed", event,
                      association.slug)


__all__ = [
    "ExportError",
    "association_closure_cancel",
    "association_closure_confirm",
    "association_closure_request",
    "association_export_build",
    "closures_due",
    "export_download_record",
    "export_intact",
]
