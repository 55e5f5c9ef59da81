"""A closing association is read-only (tenants/offboarding/services.py). Schema: public.

Like billing.middleware.ReadOnlyMiddleware: every request that could write (POST, PUT,
PATCH, DELETE) on the association's host is refused, except signing in and out, the
language, switching association and the closure page itself (to cancel). Reading and the
export (GET) stay open. The referral form is closed too: a young person's referral must
not go to an association that is leaving (and would not be in its export); the refusal
gives the national help lines (3018, 119, 17/112), as the rate limit's refusal does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from relier_platform.problems import is_api, middleware_problem
from tenants.models import Association

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITABLE_PREFIXES = ("/accounts/", "/i18n/", "/changer/", "/passage/",
                     "/parametres/fermeture/")


class ClosingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        closing = getattr(tenant, "state", Association.State.ACTIVE) != Association.State.ACTIVE
        request.closing = closing  # type: ignore[attr-defined]
        if (closing and request.method not in SAFE_METHODS
                and not request.path.startswith(WRITABLE_PREFIXES)):
            if is_api(request):
                return middleware_problem(request, status_code=403, code="association_closing",
                                          detail=_(
                    "Cette association ferme : elle ne reçoit plus de signalement ni de "
                    "modification. En cas d'urgence : 3018, 119, 17 ou 112."))
            return render(request, "tenants/offboarding/read_only.html",
                          {"association": tenant,
                           "referral": request.path.startswith("/signaler")}, status=403)
        return self.get_response(request)
