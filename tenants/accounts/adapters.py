"""django-allauth adapter: no open sign-up here (associations sign up through onboarding);
a fresh sign-in counts as a re-authentication (tenants/accounts/security.py)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # allauth >= 65.20 asks for the password again even right after signing in. Here a
        # sign-in with the password (and second factor) less than
        # ACCOUNT_REAUTHENTICATION_TIMEOUT ago is proof enough; later, re-authenticate.
        from tenants.accounts.security import authenticated_recently

        request = context.request
        if request is not None and authenticated_recently(request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)
