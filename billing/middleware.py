"""Read-only mode, enforced for every URL of an association's host in one place.

After the grace period of a failed payment (or once a paid subscription is cancelled),
everything stays readable and exportable — exports are GET requests — but no request that
could write (POST, PUT, PATCH, DELETE) gets through, except signing in and out, the
language, switching association and the subscription pages (to pay). Schema: public.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from billing.selectors import OK, billing_state
from relier_platform.problems import is_api, middleware_problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITABLE_PREFIXES = (
    "/accounts/",
    "/i18n/",
    "/changer/",
    "/passage/",
    "/parametres/abonnement/",
    # Closing the association (or cancelling that) is never refused for a billing reason.
    "/parametres/fermeture/",
    # A referral about a young person in danger is never refused for a billing reason.
    "/signaler",
    # Nor a family booking a drop-in slot with a psychologist.
    "/rendez-vous",
    "/api/v1/referrals/",
)


class ReadOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == get_public_schema_name():
            request.billing = OK  # type: ignore[attr-defined]
            return self.get_response(request)
        state = billing_state(tenant)
        request.billing = state  # type: ignore[attr-defined]
        if (state.read_only and request.method not in SAFE_METHODS
                and not request.path.startswith(WRITABLE_PREFIXES)):
            if is_api(request):
                return middleware_problem(request, status_code=403, code="billing_read_only",
                                          detail=_(
                    "L'abonnement de l'association est suspendu : elle est en lecture "
                    "seule jusqu'à son renouvellement."))
            return render(request, "billing/read_only.html", {"billing": state}, status=403)
        return self.get_response(request)
