"""Reads of partner organisations, contacts and exchanges (tenant schema)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Prefetch,
    QuerySet,
)
from django.http import Http404

from relier_platform.prepared import PreparedRead
from tracking.models import (
    Case,
    CaseContact,
    Contact,
    Interaction,
    Partner,
)
from tracking.permissions import Actor, case_visible_q


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.filter(is_archived=False).select_related("kind").order_by("name")


_PARTNER_OPTIONS: PreparedRead[Any] = PreparedRead(
    lambda: Partner.objects.filter(is_archived=False).order_by("name").values_list("pk", "name"))


def partner_options() -> list[tuple[int, str]]:
    """(pk, name) of the active partners by name (the case list's filter, on every display):
    SQL compiled once per connection."""
    return list(_PARTNER_OPTIONS())


def partner_get(partner_id: Any) -> Partner:
    partner = Partner.objects.select_related("kind").filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


def contact_list(*, actor: Actor, case_id: int | None = None,
                 kind: str = "") -> QuerySet[Contact]:
    """The contacts of the cases the actor may open (a case page shows its contacts to
    whoever may open the case), optionally those of one case or of one kind."""
    links = CaseContact.objects.filter(case__in=Case.objects.filter(case_visible_q(actor)))
    if case_id is not None:
        links = links.filter(case_id=case_id)
    qs = Contact.objects.filter(pk__in=links.values("contact_id"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("partner").prefetch_related(Prefetch(
        "casecontact_set", queryset=links.select_related("case").order_by("case__code"),
        to_attr="visible_links")).order_by("-created_at", "-id")


def access_contact(actor: Actor, contact_id: Any) -> Contact:
    """The contact, if it belongs to a case the actor may open; 404 otherwise, alike."""
    try:
        pk = int(contact_id)
    except (TypeError, ValueError):
        raise Http404 from None
    contact = contact_list(actor=actor).filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def interaction_list_for_case(*, case: Case) -> QuerySet[Interaction]:
    """The exchanges of a case (the caller has opened it with access_case), newest first,
    without their clinical note: the column is never loaded (Interaction.CLINICAL_FIELDS),
    whoever asks — the API carries no clinical content at all."""
    return (Interaction.objects.filter(cases=case)
            .defer(*Interaction.CLINICAL_FIELDS, "custom")
            .select_related("kind", "partner")
            .order_by("-occurred_at", "-id"))
