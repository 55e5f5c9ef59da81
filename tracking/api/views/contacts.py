"""`GET /api/v1/contacts/` and `GET /api/v1/contacts/{id}/`: the people around the young
people (parents, school staff, local actors) linked to a case the caller may open — a
case page shows its contacts to whoever may open the case. Each contact lists only those
of its cases the caller may open. A contact of no such case answers 404, like a missing
one. Paginated, filtered by case and kind; ETags."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracking.api.serializers import ContactQuerySerializer, ContactSerializer
from tracking.api.views.base import PROBLEMS, Pagination
from tracking.api.views.cases import CaseReader
from tracking.interactions import selectors


class ContactListView(CaseReader):
    audit_name = "contact_list"
    pagination_class = Pagination

    @extend_schema(operation_id="contact_list", parameters=[ContactQuerySerializer],
                   responses={200: ContactSerializer(many=True), **PROBLEMS},
                   summary="Les contacts des dossiers que l'appelant peut ouvrir")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = ContactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        contacts = selectors.contact_list(actor=self.actor(), case_id=wanted.get("case"),
                                          kind=wanted.get("kind", ""))
        return self.paged(contacts, ContactSerializer)


class ContactDetailView(CaseReader):
    audit_name = "contact_read"

    @extend_schema(operation_id="contact_get", responses={200: ContactSerializer, **PROBLEMS},
                   summary="Un contact")
    def get(self, request: Request, contact_id: int, *args: Any, **kwargs: Any) -> Response:
        return Response(ContactSerializer(selectors.access_contact(self.actor(),
                                                                   contact_id)).data)
