"""The clinical notes of a closing association, for its psychologists only. Schema: public
(reads one association's schema inside `schema_context`; the audit entry is public).

The admins' closure export (tenants.offboarding.export) leaves every clinical column out.
While the closure is pending, each psychologist downloads here the notes they may read —
those on the cases they follow (assigned or granted, as in the application:
tracking.permissions.case_visible_q) and those they wrote or whose exchange they led —
made for them at the download (the association is read-only meanwhile, so nothing differs
from what the admins' export was made from) and recorded
(`association.clinical_export_downloaded`). They are told by e-mail when the closure is
requested. A ZIP:

- `notes_cliniques.csv`: one line per exchange holding a note — its id (the `id` of
  `tables/tracking_interaction.csv` in the admins' export), date, case codes, who led it,
  who recorded it, and each clinical field of the exchange (Interaction.CLINICAL_FIELDS);
- `documents/<id>-<name>`: the clinical documents of the same cases, or uploaded by them,
  decrypted;
- `manifest.json`: for whom, when, which notes (the scope, in French and English), row
  count and SHA-256, and the documents with theirs;
- `LISEZMOI.txt` / `README.txt`: the same in French and in English.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.core.mail import send_mail
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, Membership, User
from tenants.offboarding.export import CLINICAL_EXPORT_PATH, Hashing
from tenants.tenancy.services import association_host, audit, site_url
from tracking.documents.services import closure_documents
from tracking.figures.exports import neutralise
from tracking.models import Case, Interaction
from tracking.permissions import ROLE_CAPABILITIES, Actor, Capability, case_visible_q

log = logging.getLogger(__name__)

FORMAT = 1
NOTES_FILE = "notes_cliniques.csv"
README_FILES = {"fr": "LISEZMOI.txt", "en": "README.txt"}
FETCH = 500

SCOPE = {
    "fr": "Les notes cliniques des dossiers que vous suivez (attribués ou partagés avec vous) "
          "et celles des échanges que vous avez menés ou enregistrés. Les notes des autres "
          "dossiers sont téléchargées par les psychologues qui les suivent. Cet export n'est "
          "remis qu'aux psychologues : l'export de fermeture des administrateurs ne contient "
          "aucune note clinique.",
    "en": "The clinical notes of the cases you follow (assigned or shared with you) and "
          "those of the exchanges you led or recorded. The notes of other cases are "
          "downloaded by the psychologists who follow them. This export is handed to "
          "psychologists only: the administrators' closure export holds no clinical note.",
}
_README = {
    "fr": ("Notes cliniques de {email} à l'association {name} ({slug}), export fait le "
           "{made_at} pendant la fermeture de l'association.",
           "{rows} échange(s) avec une note, dans notes_cliniques.csv (UTF-8, une ligne "
           "d'en-tête ; « interaction_id » est l'« id » de tables/tracking_interaction.csv "
           "dans l'export des administrateurs). manifest.json donne son empreinte SHA-256.",
           "Ces notes sont des données de santé : gardez-les en lieu sûr. Un texte "
           "commençant par = + - @ est précédé d'une apostrophe."),
    "en": ("Clinical notes of {email} at the association {name} ({slug}), exported on "
           "{made_at} while the association is closing.",
           "{rows} exchange(s) with a note, in notes_cliniques.csv (UTF-8, a header line; "
           "\"interaction_id\" is the \"id\" of tables/tracking_interaction.csv in the "
           "administrators' export). manifest.json gives its SHA-256 fingerprint.",
           "These notes are health data: keep them safe. A text starting with = + - @ is "
           "preceded by an apostrophe."),
}


@dataclass(frozen=True)
class ClinicalExport:
    notes: int
    sha256: str  # of the CSV


def clinical_notes_of(actor: Actor) -> QuerySet[Interaction]:
    """The exchanges holding a clinical note the actor may take away (in the current
    schema): none for anyone without CLINICAL."""
    if not actor.can(Capability.CLINICAL):
        return Interaction.objects.none()
    visible = Case.objects.filter(case_visible_q(actor)).values("pk")
    on_their_cases = Interaction.cases.through.objects.filter(
        case_id__in=visible).values("interaction_id")
    with_note = Q()
    for name in Interaction.CLINICAL_FIELDS:  # stored NULL when empty
        with_note |= Q(**{f"{name}__isnull": False})
    return (Interaction.objects
            .filter(Q(pk__in=on_their_cases) | Q(staff_id=actor.id)
                    | Q(created_by_id=actor.id))
            .filter(with_note)
            .select_related("staff", "created_by")
            .prefetch_related(Prefetch("cases", queryset=Case.objects.only("id", "code")
                                       .order_by("code")))
            .order_by("occurred_at", "id"))


def _cell(value: str) -> str:
    return str(neutralise(value))


def _notes_csv(archive: zipfile.ZipFile, actor: Actor) -> tuple[int, str]:
    rows = 0
    with archive.open(NOTES_FILE, "w", force_zip64=True) as entry:
        sink = Hashing(entry)
        text = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(["interaction_id", "occurred_at", "case_codes", "staff",
                         "created_by", *Interaction.CLINICAL_FIELDS])
        for interaction in clinical_notes_of(actor).iterator(chunk_size=FETCH):
            notes = [str(getattr(interaction, name) or "")
                     for name in Interaction.CLINICAL_FIELDS]
            if not any(notes):
                continue
            writer.writerow([
                interaction.pk, interaction.occurred_at.isoformat(),
                " ".join(case.code for case in interaction.cases.all()),
                interaction.staff.email, interaction.created_by.email,
                *(_cell(note) for note in notes)])
            rows += 1
        text.flush()
        text.detach()
    return rows, sink.digest.hexdigest()


def clinical_zip(*, actor: Actor, association: Association,
                 target: IO[bytes]) -> ClinicalExport:
    """Write the actor's clinical notes of the association to `target` (a ZIP)."""
    made_at = timezone.now().isoformat()
    with (schema_context(association.schema_name),
          zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive):
        rows, digest = _notes_csv(archive, actor)
        documents = []
        for found in closure_documents(clinical=True, actor=actor):
            archive.writestr(found.path, found.data)
            documents.append({"file": found.path, "document_id": found.document.pk,
                              "case_id": found.document.case_id, "size": len(found.data),
                              "sha256": hashlib.sha256(found.data).hexdigest()})
        readmes = {}
        for language, file in README_FILES.items():
            title, body, care = _README[language]
            content = "\r\n".join([
                title.format(email=actor.user.email, name=association.name,
                             slug=association.slug, made_at=made_at), "",
                body.format(rows=rows), "", SCOPE[language], "", care, ""]).encode("utf-8")
            archive.writestr(file, content)
            readmes[file] = hashlib.sha256(content).hexdigest()
        manifest: dict[str, Any] = {
            "format": FORMAT, "made_at": made_at,
            "association": {"slug": association.slug, "name": association.name},
            "made_for": {"email": actor.user.email, "role": actor.role},
            "scope": SCOPE,
            "file": NOTES_FILE, "rows": rows, "sha256": digest,
            "documents": documents,
            "readme": readmes,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return ClinicalExport(rows, digest)


# --- who, and the download -------------------------------------------------------------------


def clinical_roles() -> list[str]:
    """The roles that read clinical notes (tracking.permissions): psychologists."""
    return sorted(role for role, capabilities in ROLE_CAPABILITIES.items()
                  if Capability.CLINICAL in capabilities)


def clinician_of(user: User, association: Association) -> Actor | None:
    """The person as an active member of the association with a clinical role, or None."""
    membership = Membership.objects.filter(
        user=user, association=association, role__in=clinical_roles(), is_active=True,
        user__is_active=True).first()
    return Actor(user=user, role=membership.role) if membership else None


def clinical_export_download_record(*, actor: User, association: Association) -> IO[bytes]:
    """The clinical notes a psychologist of the closing association may take away, as a ZIP
    in a temporary file (the response closes it), recorded. Refused to anyone else
    (NOT_ALLOWED) and outside a closure (NOT_FOUND)."""
    clinician = clinician_of(actor, association)
    if clinician is None:
        raise ApplicationError(_("Seuls les psychologues de l'association téléchargent les "
                                 "notes cliniques."), code=ErrorCode.NOT_ALLOWED)
    if association.state != Association.State.CLOSING:
        raise ApplicationError(_("Les notes cliniques ne sont exportées que pendant la "
                                 "fermeture."), code=ErrorCode.NOT_FOUND)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    try:
        made = clinical_zip(actor=clinician, association=association, target=handle)
        audit("association.clinical_export_downloaded", actor=actor, association=association,
              role=clinician.role, notes=made.notes, sha256=made.sha256)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def clinicians_notify(association: Association) -> None:
    """When the closure is requested: the psychologists download their notes themselves
    (the admins' export holds none), so tell them where and until when."""
    recipients = sorted(Membership.objects.filter(
        association=association, role__in=clinical_roles(), is_active=True,
        user__is_active=True).values_list("user__email", flat=True))
    if not recipients:
        return
    subject = _("Fermeture de %(name)s : téléchargez vos notes cliniques") % {
        "name": association.name}
    body = _(
        "La fermeture de l'association %(name)s a été demandée. L'export remis aux "
        "administrateurs ne contient aucune note clinique. Jusqu'au %(until)s, vous pouvez "
        "télécharger les notes cliniques des dossiers que vous suivez et celles que vous "
        "avez écrites sur %(url)s (votre mot de passe vous sera redemandé). Après cette "
        "date, elles pourront être supprimées définitivement avec les autres données."
    ) % {"name": association.name,
         "until": date_format(timezone.localtime(association.closure_not_before),
                              "DATETIME_FORMAT") if association.closure_not_before else "",
         "url": site_url(association_host(association.slug), CLINICAL_EXPORT_PATH)}
    try:
        send_mail(subject, body, None, recipients)
    except OSError:  # the closure stands; the e-mail failure is logged
        log.exception("closure e-mail to the psychologists of %s failed", association.slug)
