"""The rights of one young person under the GDPR: access (art. 15) and erasure (art. 17).
Schema: tenant (everything read or changed here lives in the association's own schema).

Access: `case_export` gathers everything the association holds about one case, as plain
JSON-ready data. Clinical notes are psychologists' own working notes and only psychologists
read them here (tracking/permissions.py): the export, produced by an admin or a
coordinator, says for each exchange whether such a note exists, and never carries its
text — the person asks the psychologist, who communicates it (art. 15 applies to it; the
export tells the person it exists, so the right can be exercised).

Erasure: `case_anonymise` keeps the case row as an anonymous statistical record — birth
year, gender, département, list codes, dates, scores, consents, attendance, the links to
its exchanges — so that every published network figure can be recomputed identically,
and replaces everything that could recognise the young person, including in history
(case events, stage-change comments, import reports); the case's documents are destroyed
(their bytes gone from the store, their names blanked: tracking.documents). Audit entries
never hold personal data in the first place (they name records by id), so the append-only
audit log is left untouched; the stage history's append-only trigger allows exactly one
exception, the blanking of this case's comments inside this transaction (migration 0009).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema, trigger_setting
from tenants.handovers.services import handovers_withdraw_for_case
from tracking.audit.services import audit_record
from tracking.documents import services as documents
from tracking.dropin.selectors import case_bookings_export
from tracking.dropin.services import case_bookings_erase
from tracking.employment import selectors as employment_selectors
from tracking.employment import services as employment_services
from tracking.fields import services as custom_fields
from tracking.handovers.selectors import case_handovers_export
from tracking.models import (
    Attendance,
    AuditLog,
    Case,
    CaseContact,
    CaseDocument,
    CaseEvent,
    CaseLink,
    Contact,
    CustomFieldTarget,
    HandoverRecord,
    ImpactAssessment,
    ImportRun,
    Interaction,
    OverdueReminder,
    Referral,
    StageChange,
    Task,
)
from tracking.permissions import CHANGE_CASE, Actor, Capability
from tracking.todo import services as todo

EXPORT_FORMAT = "relier.acces-donnees"
ANONYMISED_EVENT = "anonymised"
ERASED = "[effacé]"
SHARED_TEXT_REMOVED = "[texte retiré : effacement des données d'une personne concernée]"
# Keys of CaseEvent.detail whose values are codes, flags or field names, never free text.
SAFE_EVENT_KEYS = frozenset({"via", "reason", "network_statistics", "exchange_groups",
                             "can_edit", "fields", "from", "to", "user"})
MIN_SEARCHED = 3  # shorter strings would match too much of other people's import reports


def _forbidden() -> ApplicationError:
    return ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def can_export(actor: Actor) -> bool:
    """Admins and coordinators: they see every case and may export (role capabilities)."""
    return actor.can(Capability.EXPORT) and actor.can(Capability.CASE_VIEW_ALL)


def can_anonymise(actor: Actor) -> bool:
    return actor.role == "admin"


def is_anonymised(case: Case) -> bool:
    return (case.anonymised_at is not None
            or CaseEvent.objects.filter(case=case, kind=ANONYMISED_EVENT).exists())


# --- Access (art. 15) ------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def _grants_part(case: Case) -> list[dict[str, Any]]:
    """One line per person granted access (guardian's `view_case`, plus `change_case`
    when they may edit), in the order the grants were first given."""
    people: dict[int, dict[str, Any]] = {}
    for grant in (case.grants.select_related("user", "granted_by", "permission")
                  .order_by("id")):
        line = people.setdefault(grant.user_id, {
            "a": _person(grant.user), "modification": False,
            "par": _person(grant.granted_by), "le": _iso(grant.granted_at)})
        if grant.permission.codename == CHANGE_CASE:
            line["modification"] = True
    return list(people.values())


def _custom(target: str, values: dict[str, Any]) -> list[dict[str, str]]:
    fields = list(custom_fields.field_list(target, include_archived=True))
    return [{"champ": str(v.field.label), "valeur": v.text}
            for v in custom_fields.shown_values(fields, values)]


def _case_part(case: Case) -> dict[str, Any]:
    return {
        "numero": case.code,
        "identifiant_externe": case.external_id or "",
        "prenom": case.first_name,
        "annee_de_naissance": case.birth_year,
        "tranche_d_age": case.age_bracket(),
        "genre": str(case.get_gender_display()) if case.gender else "",
        "commune": case.town,
        "departement": case.department,
        "role": str(case.get_role_display()),
        "types_de_situation": [i.label for i in case.situation_types.all()],
        "programme": case.programme.label if case.programme else "",
        "source_de_detection": case.detection_source.label if case.detection_source else "",
        "partenaire_orienteur": case.referring_partner.name if case.referring_partner else "",
        "intervenants_referents": sorted(_person(u) for u in case.assigned_staff.all()),
        "ouvert_le": _iso(case.opened_on),
        "cloture_le": _iso(case.closed_on),
        "motif_de_cloture": case.closing_reason.label if case.closing_reason else "",
        "etape": case.stage.name if case.stage else "",
        "cree_le": _iso(case.created_at),
        "modifie_le": _iso(case.updated_at),
        "champs_personnalises": _custom(CustomFieldTarget.CASE, case.custom),
    }


def _interactions_part(case: Case) -> list[dict[str, Any]]:
    others = Interaction.cases.through.objects.filter(
        interaction_id=OuterRef("pk")).exclude(case_id=case.pk)
    rows = (Interaction.objects.filter(cases=case).select_related("kind", "staff", "partner")
            .annotate(shared=Exists(others)).order_by("occurred_at", "id"))
    return [{
        "date": _iso(i.occurred_at),
        "type": i.kind.label,
        "canal": str(i.get_channel_display()),
        "duree_minutes": i.duration_minutes,
        "intervenant": _person(i.staff),
        "partenaire": i.partner.name if i.partner else "",
        "resume": i.summary,
        # The text stays with the psychologist (module docstring); its existence is said.
        "note_clinique_existe": bool(i.clinical_note),
        "concerne_aussi_d_autres_jeunes": i.shared,
        "champs_personnalises": _custom(CustomFieldTarget.INTERACTION, i.custom),
    } for i in rows]


def _contacts_part(case: Case) -> list[dict[str, Any]]:
    return [{
        "lien": link.relationship,
        "type": str(link.contact.get_kind_display()),
        "prenom": link.contact.first_name,
        "nom": link.contact.last_name,
        "telephone": link.contact.phone,
        "e_mail": link.contact.email,
        "organisation": link.contact.partner.name if link.contact.partner else "",
    } for link in CaseContact.objects.filter(case=case)
        .select_related("contact__partner").order_by("id")]


def _referral_part(case: Case) -> dict[str, Any] | None:
    referral = Referral.objects.filter(case=case).first()
    if referral is None:
        return None
    return {"recu_le": _iso(referral.received_at), "signale_par": referral.referrer_kind,
            "nom_de_la_personne_qui_signale": referral.referrer_name,
            "contact_de_la_personne_qui_signale": referral.referrer_contact,
            "description": referral.description}


def _history_part(case: Case) -> dict[str, list[dict[str, Any]]]:
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id")
    stages = (StageChange.objects.filter(case=case)
              .select_related("actor", "from_stage", "to_stage").order_by("at", "id"))
    reminders = OverdueReminder.objects.filter(case=case).select_related("stage")
    return {
        # A linked file's code belongs to that other young person (art. 15-4).
        "evenements": [{"date": _iso(e.at), "type": e.kind, "par": _person(e.actor),
                        "detail": {k: v for k, v in e.detail.items() if k != "other"}}
                       for e in events],
        "changements_d_etape": [{
            "date": _iso(s.at), "par": _person(s.actor),
            "de": s.from_stage.name if s.from_stage else "", "vers": s.to_stage.name,
            "commentaire": s.comment} for s in stages],
        "relances": [{"date": _iso(r.sent_at), "etape": r.stage.name} for r in reminders],
    }


def _audit_part(case: Case) -> list[dict[str, Any]]:
    """Who read or changed this file: entries naming the case, its contacts or exchanges."""
    contact_ids = [str(pk) for pk in CaseContact.objects.filter(case=case)
                   .values_list("contact_id", flat=True)]
    interaction_ids = [str(pk) for pk in Interaction.objects.filter(cases=case)
                       .values_list("pk", flat=True)]
    entries = AuditLog.objects.filter(
        Q(object_type="case", object_id=str(case.pk))
        | Q(object_type="contact", object_id__in=contact_ids)
        | Q(object_type="interaction", object_id__in=interaction_ids)
    ).select_related("actor").order_by("at", "id")
    return [{"date": _iso(a.at), "action": a.action, "par": _person(a.actor)}
            for a in entries]


def case_export(*, actor: Actor, case: Case, association_name: str) -> dict[str, Any]:
    """Everything held about one young person, JSON-ready (read only; the view audits)."""
    if not can_export(actor):
        raise _forbidden()
    return {
        "format": EXPORT_FORMAT,
        "version": 1,
        "association": association_name,
        "produit_le": _iso(timezone.now()),
        "dossier": _case_part(case),
        "consentements": [{
            "donne_par": str(c.get_given_by_display()), "date": _iso(c.given_on),
            "suivi": c.follow_up, "groupes_d_echange": c.exchange_groups,
            "statistiques_du_reseau": c.network_statistics,
            "enregistre_par": _person(c.recorded_by), "enregistre_le": _iso(c.recorded_at),
        } for c in case.consents.select_related("recorded_by").order_by("given_on", "id")],
        "contacts": _contacts_part(case),
        "echanges": _interactions_part(case),
        "groupes_d_echange": [{
            "groupe": a.session.group.theme, "date": _iso(a.session.held_on),
            "sujet": a.session.topic, "presence": str(a.get_status_display()),
        } for a in Attendance.objects.filter(case=case)
            .select_related("session__group").order_by("session__held_on", "id")],
        "evaluations_d_impact": [{
            "date": _iso(s.assessed_on), "moment": str(s.get_moment_display()),
            "pairs": s.peers, "famille": s.family, "ecole_ou_travail": s.school_work,
            "aide": s.help, "confiance": s.confidence, "par": _person(s.assessed_by),
        } for s in ImpactAssessment.objects.filter(case=case).select_related("assessed_by")],
        "signalement": _referral_part(case),
        "parcours_vers_l_emploi": employment_selectors.milestones_export(case),
        "permanences": case_bookings_export(case),
        # Tasks the team gave one another about the case: their titles may speak of them.
        "taches": [{"intitule": t.title, "echeance": _iso(t.due_on), "faite": t.done_at
                    is not None, "annulee": t.cancelled_at is not None}
                   for t in Task.objects.filter(case=case).order_by("due_on", "id")],
        "documents": documents.export_part(case),
        "transmissions": case_handovers_export(case),
        "historique": _history_part(case),
        "acces_accordes": _grants_part(case),
        # The other young person's code is theirs (art. 15-4): only the nature of the link.
        "dossiers_lies": [{"nature_du_lien": link.note, "cree_le": _iso(link.created_at)}
                          for link in CaseLink.objects.filter(
                              Q(from_case=case) | Q(to_case=case)).order_by("id")],
        "journal_d_audit": _audit_part(case),
    }


def case_export_record(*, actor: Actor, case: Case, fmt: str,
                       ip_address: str | None = None) -> AuditLog:
    return audit_record(actor=actor, action="privacy.export", obj=case,
                        ip_address=ip_address, format=fmt)


# --- Erasure (art. 17) -----------------------------------------------------------------


def erasure_preview(case: Case) -> dict[str, int]:
    """What an erasure will touch, counted (shown before the confirmation)."""
    contacts = CaseContact.objects.filter(case=case)
    shared = contacts.filter(contact__in=CaseContact.objects.exclude(case=case)
                             .values("contact_id"))
    interactions = Interaction.objects.filter(cases=case)
    return {
        "contacts": contacts.count() - shared.count(),
        "shared_contacts": shared.count(),
        "interactions": interactions.count(),
        "shared_interactions": interactions.filter(
            pk__in=Interaction.cases.through.objects.exclude(case=case)
            .values("interaction_id")).count(),
        "links": CaseLink.objects.filter(Q(from_case=case) | Q(to_case=case)).count(),
        "events": CaseEvent.objects.filter(case=case).count(),
        "documents": CaseDocument.objects.filter(case=case, destroyed_at__isnull=True).count(),
    }


def _anonymous_code(case: Case) -> str:
    code = f"ANON-{case.pk}"
    return code if len(code) <= 12 else f"A{case.pk}"


def _strings_of(case: Case, contacts: Iterable[Contact]) -> list[str]:
    """The personal strings to hunt for in reports that are not tied to the case by a key
    (import runs): its names, identifiers, contacts and referral texts."""
    found: list[object] = [case.first_name, case.code, case.external_id or "", case.town]
    for contact in contacts:
        found += [contact.first_name, contact.last_name, contact.phone, contact.email]
    referral = Referral.objects.filter(case=case).first()
    if referral is not None:
        found += [referral.referrer_name, referral.referrer_contact]
    texts = {str(s).strip() for s in found}
    return sorted(t for t in texts if len(t) >= MIN_SEARCHED)


def _blank(obj: Any, *names: str) -> None:
    """Encrypted fields are typed as fields, not strings: set them by name."""
    for name in names:
        setattr(obj, name, "")


def _scrub(value: Any, pattern: re.Pattern[str]) -> tuple[Any, bool]:
    """A JSON value with every string that mentions one of the strings replaced."""
    if isinstance(value, str):
        return (ERASED, True) if pattern.search(value) else (value, False)
    if isinstance(value, list):
        pairs = [_scrub(v, pattern) for v in value]
        return [v for v, _changed in pairs], any(c for _v, c in pairs)
    if isinstance(value, dict):
        items = {k: _scrub(v, pattern) for k, v in value.items()}
        return {k: v for k, (v, _c) in items.items()}, any(c for _v, c in items.values())
    return value, False


def _scrub_imports(strings: list[str]) -> int:
    """Import reports keep sample values and row errors: scrub any that mention the young
    person. A file still waiting to be imported that holds them is emptied and refused."""
    if not strings:
        return 0
    pattern = re.compile("|".join(re.escape(s) for s in strings), re.IGNORECASE)
    touched = 0
    # Files are read only for the runs still holding one (committed runs are emptied).
    waiting = set(ImportRun.objects.exclude(content=b"").values_list("pk", flat=True))
    for run in ImportRun.objects.select_for_update().defer("content").order_by("pk"):
        changed = False
        for name in ("columns", "errors", "mapping", "value_mapping"):
            value, hit = _scrub(getattr(run, name), pattern)
            if hit:
                setattr(run, name, value)
                changed = True
        if run.pk in waiting and _file_mentions(bytes(run.content), run.file_name, pattern):
            run.content = b""
            run.status = ImportRun.Status.FAILED
            run.failure = _("Fichier retiré : il contenait les données d'une personne dont "
                            "les données ont été effacées. Déposez-le à nouveau sans elles.")
            changed = True
        if pattern.search(run.file_name):
            run.file_name, changed = ERASED, True
        if changed:
            run.save()
            touched += 1
    return touched


def _file_mentions(content: bytes, file_name: str, pattern: re.Pattern[str]) -> bool:
    from onboarding.importing.parsing import cell_text, read_table

    try:
        table = read_table(content, file_name)
    except ApplicationError:  # an unreadable file is judged on its raw bytes
        return bool(pattern.search(content.decode("utf-8", "ignore")))
    cells = [*table.headers, *(cell_text(c) for row in table.rows for c in row.cells)]
    return any(pattern.search(cell) for cell in cells)


def _contacts_of(case: Case) -> tuple[list[Contact], set[int]]:
    """The contacts of this case only, and the ids of those shared with another case."""
    links = list(CaseContact.objects.filter(case=case).select_related("contact"))
    shared_ids = set(CaseContact.objects.exclude(case=case).filter(
        contact_id__in=[link.contact_id for link in links]).values_list("contact_id", flat=True))
    return [link.contact for link in links if link.contact_id not in shared_ids], shared_ids


def _anonymise_contacts(case: Case, own: list[Contact], shared_ids: set[int]) -> None:
    """Contacts of this case only are blanked; a contact shared with another young person
    keeps its data and loses only its link to this case (which would tell who this was)."""
    for contact in own:
        _blank(contact, "first_name", "last_name", "phone", "email")
        contact.save(update_fields=["first_name", "last_name", "phone", "email"])
    CaseContact.objects.filter(case=case, contact_id__in=[c.pk for c in own]).update(
        relationship="")
    CaseContact.objects.filter(case=case, contact_id__in=shared_ids).delete()
    # Exchanges of this case alone no longer name a retained (shared) contact either.
    alone = Interaction.objects.filter(cases=case).exclude(
        pk__in=Interaction.cases.through.objects.exclude(case=case).values("interaction_id"))
    Interaction.contacts.through.objects.filter(
        interaction__in=alone, contact_id__in=shared_ids).delete()


def _anonymise_interactions(case: Case) -> tuple[int, int]:
    """Texts and answers of every exchange of the case are removed: a text shared with
    another young person cannot be split, so it is replaced by a visible mention."""
    interactions = Interaction.objects.filter(cases=case)
    shared = interactions.filter(pk__in=Interaction.cases.through.objects.exclude(case=case)
                                 .values("interaction_id"))
    shared_ids = list(shared.values_list("pk", flat=True))
    count = 0
    for interaction in interactions.select_for_update():
        interaction.summary = SHARED_TEXT_REMOVED if interaction.pk in shared_ids else ""
        _blank(interaction, "clinical_note")
        interaction.custom = {}
        interaction.save(update_fields=["summary", "clinical_note", "custom"])
        count += 1
    return count, len(shared_ids)


def _anonymise_history(case: Case, old_code: str) -> None:
    for event in CaseEvent.objects.filter(case=case):
        event.detail = {k: v for k, v in event.detail.items() if k in SAFE_EVENT_KEYS}
        event.save(update_fields=["detail"])
    # Other files' history named this one by its code when they were linked.
    for event in CaseEvent.objects.filter(kind="linked", detail__other=old_code):
        event.detail = {**event.detail, "other": ERASED}
        event.save(update_fields=["detail"])
    # The one exception the stage history's trigger allows (migration 0009); set so that
    # the trigger sees it on a Citus worker too (relier_platform.tenancy.trigger_setting).
    trigger_setting("relier.erasure_case", str(int(case.pk)))
    StageChange.objects.filter(case=case).exclude(comment="").update(comment="")
    trigger_setting("relier.erasure_case", "")


def case_anonymise(
    *, actor: Actor, case: Case, confirmation: str, confirmation_again: str,
    ip_address: str | None = None,
) -> Case:
    """Irreversibly replace everything that could recognise the young person of `case`,
    in one transaction; the row stays as an anonymous statistical record."""
    if not can_anonymise(actor):
        raise _forbidden()
    if confirmation.strip() != case.code or confirmation_again.strip() != case.code:
        raise ApplicationError(
            _("Confirmation refusée : tapez deux fois le numéro exact du dossier (%(code)s). "
              "Rien n'a été effacé.") % {"code": case.code},
            code=ErrorCode.NOT_ALLOWED, field="confirmation")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if is_anonymised(locked):
            raise ApplicationError(_("Ce dossier est déjà anonymisé."),
                                   code=ErrorCode.CONFLICT)
        counts = anonymise_locked(locked, actor_id=actor.id)
        # Counts only: the audit log never holds the erased data.
        audit_record(actor=actor, action="privacy.anonymise", obj=locked,
                     ip_address=ip_address, **counts)
    return locked


def anonymise_locked(locked: Case, *, actor_id: int | None) -> dict[str, int]:
    """The anonymisation itself, for a case row the caller has locked in its transaction
    (an admin's erasure above, or the retention's nightly anonymisation with no actor).
    Returns what was touched, counted, for the caller's audit entry."""
    old_code = locked.code
    own, shared_ids = _contacts_of(locked)
    strings = _strings_of(locked, own)  # read before anything is blanked
    _anonymise_contacts(locked, own, shared_ids)
    interactions, shared_interactions = _anonymise_interactions(locked)
    milestone_notes = employment_services.milestones_anonymise(locked)
    Referral.objects.filter(case=locked).update(
        referrer_name="", referrer_contact="", description="")
    case_bookings_erase(locked)  # drop-in bookings' callback details
    links = CaseLink.objects.filter(Q(from_case=locked) | Q(to_case=locked))
    link_count = links.count()
    links.delete()  # counted in the caller's audit entry
    imports = _scrub_imports(strings)
    # Task titles are free text (tracking/todo): scrubbed like import reports.
    todo.tasks_scrub(case=locked, strings=strings, replacement=ERASED)
    documents_destroyed = documents.case_documents_erase(locked)
    # Hand-overs (tracking.handovers): what was sent or received, blanked; one still
    # waiting is withdrawn, its summary destroyed in public.
    HandoverRecord.objects.filter(case=locked).update(
        first_name="", summary="", situation_types=[], birth_year=None)
    handovers_withdraw_for_case(sender_schema=current_schema(), sender_case_id=locked.pk)
    _anonymise_history(locked, old_code)
    now = timezone.now()
    locked.code = _anonymous_code(locked)
    _blank(locked, "first_name", "town")
    locked.external_id = None
    locked.custom = {}
    locked.version += 1
    locked.updated_at = now
    if locked.anonymised_at is None:
        locked.anonymised_at = now
    locked.save()
    CaseEvent.objects.create(case=locked, actor_id=actor_id, kind=ANONYMISED_EVENT, detail={})
    return {"contacts": len(own), "shared_contacts_unlinked": len(shared_ids),
            "interactions": interactions, "shared_interactions": shared_interactions,
            "links_removed": link_count, "import_runs": imports,
            "documents_destroyed": documents_destroyed, "milestone_notes": milestone_notes}
