"""Reads of a case's documents, through the case's own access check. Schema: tenant."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from tracking.cases.selectors import access_case
from tracking.documents.models import CaseDocument
from tracking.models import Case
from tracking.permissions import Actor, Capability


def document_list(*, actor: Actor, case: Case) -> QuerySet[CaseDocument]:
    """The case's documents the actor may see (clinical ones: psychologists only), the
    withdrawn ones included (shown as a record)."""
    qs = CaseDocument.objects.filter(case=case)
    if not actor.can(Capability.CLINICAL):
        qs = qs.filter(clinical=False)
    return qs.order_by("withdrawn_at", "-uploaded_at", "-id")


def clinical_hidden_count(*, actor: Actor, case: Case) -> int:
    """Kept clinical documents someone without CLINICAL is told exist (not which)."""
    if actor.can(Capability.CLINICAL):
        return 0
    return CaseDocument.objects.filter(case=case, clinical=True,
                                       withdrawn_at__isnull=True).count()


def access_document(actor: Actor, case_id: Any, document_id: Any) -> CaseDocument:
    """A kept document of a case the actor may open, that they may read; 404 otherwise
    (another case's document, a clinical one for a non-psychologist, a withdrawn one)."""
    case = access_case(actor, case_id)
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        raise Http404 from None
    document = document_list(actor=actor, case=case).filter(
        pk=pk, withdrawn_at__isnull=True, destroyed_at__isnull=True).first()
    if document is None:
        raise Http404
    document.case = case
    return document
