"""How a request finds its association, and who may enter it. Schema: public.

1. TenantMiddleware: host → association, through a cache (one Redis read per request
   instead of a database query); entries are dropped when a domain or an association
   changes, and again once that change commits (tenants.models.forget_hosts). Unknown
   hosts get the "unknown address" page; that answer is cached for a few seconds only,
   and not at all for the host of a sign-up still in progress: a request made while its
   workspace is being created must not hide it once created.
2. MembershipMiddleware: on an association's host, every page but sign-in needs a signed-in
   person with an *active* membership there, checked on every request, so deactivating a
   membership cuts access at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import sentry_sdk
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name, get_tenant_domain_model

from onboarding.selectors import signup_in_progress_for_host
from relier_platform.tenancy import current_schema, db
from tenants.accounts import selectors
from tenants.models import HOSTS, domain_cache_key

DOMAIN_CACHE_TIMEOUT = 60 * 60
# An unknown host is looked up again after this long (a crawler trying hosts costs one query
# per host and period, while a host created meanwhile is found soon).
DOMAIN_MISS_TIMEOUT = 10
_MISSING = "__none__"


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        """django-tenants' own, minus the work a request to the same association as the
        connection's previous one does not need: the association is found in this process's
        copy (HOSTS) when it is there — no Redis round trip; and the connection is switched
        only when the schema changes, so that it does not issue `SET search_path` again on
        every request (django-tenants resets it on each switch, even to the same schema)."""
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        tenant = HOSTS.get(hostname)
        if tenant is not None:
            # A copy: a view changing request.tenant must not change the next request's.
            tenant = copy.copy(tenant)
        else:
            db().set_schema_to_public()
            domain_model = get_tenant_domain_model()
            try:
                tenant = self.get_tenant(domain_model, hostname)
            except domain_model.DoesNotExist:
                return self.no_tenant_found(request, hostname)
            HOSTS.set(hostname, copy.copy(tenant))
        tenant.domain_url = hostname
        request.tenant = tenant  # type: ignore[attr-defined]
        if (current_schema() == tenant.schema_name
                and getattr(connection, "include_public_schema", False)):
            connection.tenant = tenant  # type: ignore[attr-defined]
        else:
            db().set_tenant(tenant)
        self.setup_url_routing(request)
        sentry_sdk.set_tag("tenant", tenant.schema_name)
        return None

    def get_tenant(self, domain_model: Any, hostname: str) -> Any:
        # Runs in the public schema, so the key is prefixed `public:`.
        key = domain_cache_key(hostname)
        tenant = cache.get(key)
        if tenant is None:
            domain = (
                domain_model.objects.select_related("tenant")
                .filter(domain=hostname, tenant__is_active=True)
                .first()
            )
            if domain is not None:
                tenant = domain.tenant
                cache.set(key, tenant, DOMAIN_CACHE_TIMEOUT)
            else:
                tenant = _MISSING
                if not signup_in_progress_for_host(hostname=hostname):
                    cache.set(key, tenant, DOMAIN_MISS_TIMEOUT)
        if tenant == _MISSING:
            raise domain_model.DoesNotExist(hostname)
        return tenant


# Paths an anonymous visitor may reach on an association's host.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password/reset/",
    "/accounts/3rdparty/",
    "/accounts/2fa/authenticate/",
    "/passage/",
    "/static/",
    "/i18n/",
    "/signaler",
    "/rendez-vous",  # the public drop-in booking page (tracking/dropin)
    "/question-psy/",  # Question Psy: the public form and the published answers
    "/healthz",
    "/readyz",
    # The REST API authenticates each call itself (an association's key, or the session
    # with the same membership check: tracking/api/), and answers problem details.
    "/api/",
)


class MembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        request.membership = None  # type: ignore[attr-defined]
        if tenant is None or tenant.schema_name == get_public_schema_name():
            return self.get_response(request)

        user = request.user
        request.memberships = []  # type: ignore[attr-defined]
        if user.is_authenticated:
            # One query gives both the membership here and the switch menu.
            memberships = selectors.membership_list_for_user_every_request(user=user)
            request.memberships = memberships  # type: ignore[attr-defined]
            request.membership = next(  # type: ignore[attr-defined]
                (m for m in memberships if m.association_id == tenant.pk), None
            )
        if request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if not user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if request.membership is None:  # type: ignore[attr-defined]
            return render(request, "tenants/no_access.html", status=403)
        return self.get_response(request)
