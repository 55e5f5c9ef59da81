"""`POST /api/v1/referrals/`: a partner hands a young person over without retyping. The
same road as the referral form (/signaler): the form's rules (tracking.forms.ReferralForm),
its limit of accepted referrals per hour (counted in PostgreSQL, per key here instead of
per address), the same service (a case at the first stage, the staff told after commit,
an audit entry). With an `Idempotency-Key` header, sending again is safe: the same key and
body get the first answer again, no second referral; the same key with another body, 409."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from relier_platform.errors import ApplicationError
from relier_platform.problems import PROBLEM_JSON, problem_response
from tenants.accounts import ratelimit
from tracking.access import client_ip
from tracking.api import selectors, services
from tracking.api.serializers import ReferralInSerializer, ReferralOutSerializer
from tracking.api.views.base import PROBLEM, PROBLEMS, ApiView
from tracking.cases.referrals import ReferralData, referral_submit
from tracking.forms import ReferralForm
from tracking.permissions import Capability

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def _fingerprint(request: Request, data: dict[str, Any]) -> str:
    text = json.dumps([request.method, request.path, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _form_errors(form: ReferralForm) -> list[dict[str, str]]:
    return [{"field": field if field != "__all__" else "", "message": str(error["message"]),
             "code": str(error["code"] or "invalid")}
            for field, errors in form.errors.get_json_data().items() for error in errors]


class ReferralCreateView(ApiView):
    scopes = {"POST": "referrals:write"}
    capabilities = {"POST": (Capability.CASE_CREATE,)}
    audit_name = "referral_create"

    @extend_schema(
        operation_id="referral_create", request=ReferralInSerializer,
        summary="Signaler un jeune (comme le formulaire /signaler)",
        parameters=[OpenApiParameter(
            "Idempotency-Key", location=OpenApiParameter.HEADER, required=False,
            type={"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
            description="Jusqu'à 200 caractères ASCII visibles : renvoyer la même requête "
                        "avec la même clé ne crée pas un second signalement.")],
        responses={201: ReferralOutSerializer,
                   (409, PROBLEM_JSON): OpenApiResponse(PROBLEM, description=(
                       "Clé d'idempotence déjà utilisée pour une autre requête")),
                   **PROBLEMS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        idempotency_key = request.headers.get("Idempotency-Key")
        if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise exceptions.ValidationError({"Idempotency-Key": [_(
                "La clé d'idempotence fait de 1 à 200 caractères ASCII visibles.")]})
        incoming = ReferralInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        fingerprint = _fingerprint(request, data)
        if idempotency_key is not None:
            earlier = selectors.idempotent_request_get(caller=self.caller(),
                                                       key=idempotency_key)
            if earlier is not None:
                return self._again(request, earlier, fingerprint)
        form = ReferralForm({k: "" if v is None else v for k, v in data.items()})
        if not form.is_valid():
            raise exceptions.ValidationError({e["field"]: [e["message"]]
                                              for e in _form_errors(form)})
        return self._submit(request, form, idempotency_key, fingerprint)

    def _submit(self, request: Request, form: ReferralForm, idempotency_key: str | None,
                fingerprint: str) -> Response:
        # Only accepted referrals count, as on the form; a refusal tells whom to call.
        who = self.caller()
        if not ratelimit.take(ratelimit.REFERRAL, who):
            return problem_response(request, status_code=429, code="referral_rate_limited",
                                    detail=_(
                "Trop de signalements envoyés dans la dernière heure. Réessayez plus tard. "
                "Si un jeune est en danger : 3018 (harcèlement et cyberharcèlement), 119 "
                "(enfance en danger), 17 ou 112 en cas d'urgence."))
        cleaned = form.cleaned_data
        try:
            with transaction.atomic():
                record = None
                if idempotency_key is not None:
                    record, created = services.idempotency_claim(
                        caller=who, key=idempotency_key, fingerprint=fingerprint)
                    if not created:  # sent twice at once: the first one won
                        ratelimit.give_back(ratelimit.REFERRAL, who)
                        return self._again(request, record, fingerprint)
                referral = referral_submit(ip_address=client_ip(request._request),
                                           data=ReferralData(
                    referrer_kind=cleaned["referrer_kind"],
                    referrer_name=cleaned["referrer_name"],
                    referrer_contact=cleaned["referrer_contact"],
                    description=cleaned["description"],
                    first_name=cleaned.get("first_name") or "",
                    birth_year=cleaned.get("birth_year"), town=cleaned.get("town") or ""))
                body = ReferralOutSerializer({"id": referral.pk,
                                              "received_at": referral.received_at}).data
                if record is not None:
                    services.idempotency_store(record=record, status=201, body=body)
        except ApplicationError:
            ratelimit.give_back(ratelimit.REFERRAL, who)
            raise
        return Response(body, status=status.HTTP_201_CREATED)

    def _again(self, request: Request, earlier: Any, fingerprint: str) -> Response:
        """The answer to a request sent again with the same Idempotency-Key."""
        if earlier.fingerprint != fingerprint or earlier.status is None:
            return problem_response(request, status_code=409, code="idempotency_conflict",
                                    detail=_(
                "Cette clé d'idempotence a déjà servi pour une autre requête : utilisez-en "
                "une nouvelle pour un nouveau signalement."))
        return Response(earlier.body, status=earlier.status,
                        headers={"Idempotent-Replayed": "true"})
