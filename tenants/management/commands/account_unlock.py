"""python manage.py account_unlock --email x@y.example [--ip 203.0.113.7]

Lifts a sign-in lockout at once (tenants/accounts/lockout.py) instead of waiting for the cool-off;
recorded in the platform audit. Operators can also delete the rows under "Access attempts"
in the Django admin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tenants.accounts.lockout import normalise_email, unlock
from tenants.tenancy.services import audit


class Command(BaseCommand):
    help = "Débloque la connexion d'un compte (et/ou d'une adresse IP) après trop d'échecs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="e-mail du compte à débloquer")
        parser.add_argument("--ip", help="adresse IP à débloquer")

    def handle(self, *args: Any, **options: Any) -> None:
        email, ip_address = normalise_email(options["email"]), options["ip"]
        if not email and not ip_address:
            raise CommandError(_("Indiquez --email, --ip, ou les deux."))
        removed = unlock(email=email, ip_address=ip_address)
        audit("signin.unlocked", actor=None, email=email, ip_address=ip_address,
              attempts=removed)
        self.stdout.write(self.style.SUCCESS(
            _("Débloqué : %(count)d enregistrement(s) d'échecs supprimé(s).") % {"count": removed}
        ))
