"""Association-host pages of the tenants app: home, switching association."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from relier_platform.errors import ApplicationError
from tenants.accounts import handoff, selectors
from tenants.models import Association
from tenants.tenancy.services import association_host


@require_POST
def switch(request: HttpRequest, slug: str) -> HttpResponse:
    target = selectors.association_list().filter(slug=slug, is_active=True).first()
    if target is None:
        raise Http404
    try:
        path = handoff.handoff_create(actor=request.user, target=target)  # type: ignore[arg-type]
    except ApplicationError:
        raise Http404 from None
    # Same scheme and port as this request, on the target association's host.
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    netloc = association_host(target.slug) + ("" if port == default_port else f":{port}")
    return redirect(f"{request.scheme}://{netloc}{path}")


@require_GET
def passage(request: HttpRequest) -> HttpResponse:
    association: Association = request.tenant  # type: ignore[attr-defined]
    try:
        user = handoff.handoff_consume(token=request.GET.get("t", ""), association=association)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("account_login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")
