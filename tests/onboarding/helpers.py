"""Helpers of the onboarding tests: a sign-up through the service, links from the mail."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from onboarding.models import SignUp
from onboarding.services.signup import SignUpData, signup_create

PASSWORD = "un-mot-de-passe-solide-42"


def data(**overrides: Any) -> SignUpData:
    values: dict[str, Any] = {
        "association_name": "Les Mains Tendues", "identifier": "W751234567",
        "slug": "mains-tendues", "contact_name": "Nadia Benali",
        "email": "direction@mains-tendues.example", "password": PASSWORD,
        "accept_terms": True, "accept_dpa": True,
    }
    values.update(overrides)
    return SignUpData(**values)


def sign_up(capture: Any, **overrides: Any) -> SignUp:
    with capture(execute=True):
        return signup_create(data=data(**overrides))


def last_link(kind: str) -> str:
    """The token of the last link of that kind (verifier, invitation) in the outbox."""
    body = str(mail.outbox[-1].body)
    match = re.search(rf"/inscription/{kind}/([A-Za-z0-9_\-]+)/", body)
    assert match, body
    return match.group(1)
