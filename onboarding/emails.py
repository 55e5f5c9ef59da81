"""The e-mails of onboarding, rendered from templates/onboarding/email/. Sent only from
`transaction.on_commit` callbacks: a rolled-back write never sends anything."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send(template: str, *, to: str, context: dict[str, Any], language: str = "fr") -> None:
    with translation.override(language):
        subject = render_to_string(f"onboarding/email/{template}_subject.txt", context)
        body = render_to_string(f"onboarding/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])
