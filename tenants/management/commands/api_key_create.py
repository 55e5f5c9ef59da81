"""python manage.py api_key_create --association SLUG --name NAME --scopes S[,S] [--expires DAYS]

Creates a key of an association's API (tracking/api/) in its schema and prints it once:
only its digest is kept. The operator is recorded as nobody (the key has no creator whose
departure would end it); revoking it is done from the association's settings page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.accounts.selectors import association_list
from tenants.tenancy.services import association_host
from tracking.api.services import api_key_create


class Command(BaseCommand):
    help = "Crée une clé d'API pour une association et l'affiche une seule fois."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--association", required=True, help="slug de l'association")
        parser.add_argument("--name", required=True, help="nom de la clé (à quoi elle sert)")
        parser.add_argument("--scopes", required=True,
                            help="portées séparées par des virgules : referrals:write, "
                                 "cases:read, cases:write, figures:read")
        parser.add_argument("--expires", type=int, default=None, metavar="DAYS",
                            help="expire dans DAYS jours (1 à 730 ; sans : jamais)")

    def handle(self, *args: Any, **options: Any) -> None:
        association = association_list().filter(slug=options["association"],
                                                is_active=True).first()
        if association is None:
            raise CommandError(_("Association introuvable : %(slug)s.")
                               % {"slug": options["association"]})
        try:
            with schema_context(association.schema_name):
                key, raw = api_key_create(actor=None, name=options["name"],
                                          scopes=options["scopes"].split(","),
                                          expires_in_days=options["expires"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stderr.write(_("Clé « %(name)s » créée pour %(host)s (portées : %(scopes)s). "
                            "Elle ne sera plus affichée :")
                          % {"name": key.name, "host": association_host(association.slug),
                             "scopes": ", ".join(key.scopes)})
        self.stdout.write(raw)
