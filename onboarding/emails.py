"""The e-mails of onboarding, rendered from templates/onboarding/email/. Sent only from
`transaction.on_commit` callbacks: a rolled-back write never sends anything.

A mail server that does not answer does not fail the page after its data was committed:
the failure is logged (an error, for Sentry), and the pages that send a link — the
sign-up's page, the team page — offer to send it again."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


def send(template: str, *, to: str, context: dict[str, Any], language: str = "fr") -> bool:
    """Send one e-mail; False, logged, when the mail server could not take it."""
    with translation.override(language):
        subject = render_to_string(f"onboarding/email/{template}_subject.txt", context)
        body = render_to_string(f"onboarding/email/{template}.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [to])
    except OSError:  # smtplib.SMTPException is one; so is a refused connection
        log.exception("the %s e-mail was not sent (mail server unreachable or refusing)",
                      template)
        return False
    return True
