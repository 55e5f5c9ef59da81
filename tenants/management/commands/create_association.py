"""python manage.py create_association --slug acme --name "…" --admin-email …"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError
from tenants.tenancy.services import association_create


class Command(BaseCommand):
    help = (
        "Crée une association : son schéma (copié du modèle), son adresse "
        "et son premier administrateur."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="adresse : <slug>.<domaine>")
        parser.add_argument("--name", required=True, help="nom de l'association")
        parser.add_argument("--admin-email", required=True, help="e-mail du premier administrateur")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = association_create(
                actor=None, slug=options["slug"], name=options["name"],
                admin_email=options["admin_email"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(
            _("Association « %(name)s » créée.") % {"name": result.association.name}
        ))
        self.stdout.write(_("Connexion : %(url)s") % {"url": result.sign_in_url})
        if result.set_password_url:
            self.stdout.write(
                _("Lien pour choisir le mot de passe de %(email)s : %(url)s")
                % {"email": result.admin.email, "url": result.set_password_url}
            )
