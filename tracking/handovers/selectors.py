"""Reads of hand-overs for an association's pages (tenant schema, and its own rows of the
public record through tenants.handovers.selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from relier_platform.tenancy import current_schema
from tenants.handovers import selectors as public
from tenants.handovers import services as public_services
from tenants.models import Association, Handover, HandoverStatus
from tracking.models import Case, ConsentGiver, ConsentMethod, HandoverDirection, HandoverRecord
from tracking.school_year import age_bracket


@dataclass
class Incoming:
    """A pending hand-over addressed to this association, its summary opened."""

    handover: Handover
    content: dict[str, Any]

    @property
    def age_bracket(self) -> str:
        year = self.content.get("birth_year")
        return age_bracket(year, timezone.localdate()) if year else ""

    @property
    def consent_given_by(self) -> str:
        value = (self.content.get("consent") or {}).get("given_by", "")
        return str(dict(ConsentGiver.choices).get(value, value))

    @property
    def consent_method(self) -> str:
        value = (self.content.get("consent") or {}).get("method", "")
        return str(dict(ConsentMethod.choices).get(value, value))

    @property
    def consent_given_on(self) -> date | None:
        value = (self.content.get("consent") or {}).get("given_on")
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None


@dataclass
class Sent:
    record: HandoverRecord
    handover: Handover | None


def incoming_list(association: Association) -> list[Incoming]:
    return [Incoming(h, public_services.handover_content(h))
            for h in public.incoming_pending(association)]


def sent_list(association: Association, *, limit: int = 100) -> list[Sent]:
    records = list(HandoverRecord.objects.filter(direction=HandoverDirection.SENT)
                   .select_related("case").order_by("-at", "-id")[:limit])
    found = public.sent_by_association(association, [int(r.public_id) for r in records])
    return [Sent(r, found.get(int(r.public_id))) for r in records]


def received_list(*, limit: int = 100) -> QuerySet[HandoverRecord]:
    return (HandoverRecord.objects.filter(direction=HandoverDirection.RECEIVED)
            .select_related("case").order_by("-at", "-id")[:limit])


def case_handovers(case: Case) -> QuerySet[HandoverRecord]:
    return HandoverRecord.objects.filter(case=case).order_by("-at", "-id")


def case_handovers_export(case: Case) -> list[dict[str, Any]]:
    """A case's hand-overs for the person's access request (art. 15): to or from which
    association, when, what was sent, the consent recorded, and what became of a sent one
    (read from the public record by this association's own ids; a received one was
    accepted, or it would not be in the file)."""
    records = list(case_handovers(case).order_by("at", "id"))
    sent_ids = [int(r.public_id) for r in records if r.direction == HandoverDirection.SENT]
    association = Association.objects.filter(schema_name=current_schema()).first()
    found = public.sent_by_association(association, sent_ids) if association and sent_ids else {}
    accepted = str(HandoverStatus.ACCEPTED.label)
    rows = []
    for r in records:
        outcome = found.get(int(r.public_id))
        if outcome is not None:
            issue = str(outcome.get_status_display())
        else:  # received (and so accepted), or sent by a record the public side lost
            issue = accepted if r.direction == HandoverDirection.RECEIVED else ""
        rows.append({
            "sens": str(r.get_direction_display()), "autre_association": r.other_association_name,
            "date": r.at.isoformat(), "prenom": r.first_name, "annee_de_naissance": r.birth_year,
            "types_de_situation": [str(s.get("label", "")) for s in r.situation_types or []],
            "resume": r.summary,
            "consentement": {"donne_par": str(r.get_consent_given_by_display()),
                             "date": r.consent_given_on.isoformat(),
                             "forme": str(r.get_consent_method_display())},
            "issue": issue,
        })
    return rows


def receivers_for(association: Association) -> QuerySet[Association]:
    return public.receivers_for(association)


def incoming_count(association: Association) -> int:
    return public.incoming_pending_count_cached(association)
