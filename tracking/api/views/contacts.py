"""`GET /api/v1/contacts/` and `GET /api/v1/contacts/{id}/`: the people around the young
people (parents, school staff, local actors) linked to a case the caller may open — a
case page shows its contacts to whoever may open the case. Each contact lists only those
of its cases the caller may open. A contact of no such case answers 404, like a missing
one. Paginated, filtered by case and kind; ETags.

`POST /api/v1/cases/{id}/contacts/` adds a contact to a case as the case page's form does
(tracking.forms.ContactForm, then the same service): on a case the member may edit (404
otherwise, as on the page), or with a key holding `cases:write` (as the admin who made
it). Bad input: 400, nothing saved."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tracking import forms
from tracking.api.serializers import (
    ContactInSerializer,
    ContactQuerySerializer,
    ContactSerializer,
)
from tracking.api.views.base import PROBLEMS, Pagination, form_refusal
from tracking.api.views.cases import CaseReader
from tracking.cases import selectors as case_selectors
from tracking.interactions import directory, selectors


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


class CaseContactsView(CaseReader):
    scopes = {"POST": "cases:write"}
    audit_name = "contact_create"

    @extend_schema(operation_id="case_contact_create", request=ContactInSerializer,
                   responses={201: ContactSerializer, **PROBLEMS},
                   summary="Ajouter un contact à un dossier")
    def post(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.write_actor()
        case = case_selectors.access_case(actor, case_id, for_edit=True)
        incoming = ContactInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        form = forms.ContactForm(dict(incoming.validated_data))
        if not form.is_valid():
            raise form_refusal(form)
        contact = directory.contact_create_for_case(actor=actor, case=case,
                                                    **form.cleaned_data)
        return Response(ContactSerializer(selectors.access_contact(actor, contact.pk)).data,
                        status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/contacts/{contact.pk}/"})
