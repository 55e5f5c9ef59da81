"""Moving an association to another worker of the Citus cluster, by an operator
(tenants/tenancy/citus.py; the operators' admin offers the same):

    python manage.py association_move --nodes                 # workers and their associations
    python manage.py association_move acme --to 10.0.0.12:5432 --operator ops@relier.example

The association keeps serving during the move (its schema is copied by logical
replication, then the writes pause for the switch). Audited (`association.moved`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name

from relier_platform.errors import ApplicationError
from tenants.models import Association, User
from tenants.tenancy import citus
from tenants.tenancy.services import association_move


class Command(BaseCommand):
    help = ("Déplace une association (son schéma entier) vers un autre nœud du cluster Citus, "
            "sans interrompre le service ; --nodes liste les nœuds.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?")
        parser.add_argument("--to", dest="target", help="nœud cible, hôte:port")
        parser.add_argument("--operator", help="e-mail de l'opérateur qui agit")
        parser.add_argument("--nodes", action="store_true",
                            help="lister les nœuds et les associations qu'ils portent")

    def handle(self, *args: Any, **options: Any) -> None:
        if not citus.active():
            raise CommandError("Cette base n'est pas un cluster Citus (no Citus here).")
        if options["nodes"]:
            where = citus.schema_nodes()
            slugs = dict(Association.objects.values_list("schema_name", "slug"))
            for node in citus.nodes():
                held = sorted(slugs.get(schema, schema) for schema, label in where.items()
                              if label == node.label)
                self.stdout.write(f"{node.label}\t{node.schemas}\t{' '.join(held)}")
            return
        if not options["slug"] or not options["target"]:
            raise CommandError("Usage : association_move SLUG --to HÔTE:PORT --operator E-MAIL")
        association = Association.objects.exclude(schema_name=get_public_schema_name()).filter(
            slug=options["slug"]).first()
        if association is None:
            raise CommandError(f"Aucune association « {options['slug']} ».")
        operator = User.objects.filter(email__iexact=options["operator"] or "", is_staff=True,
                                       is_active=True).first()
        if operator is None:
            raise CommandError("--operator : l'e-mail d'un opérateur actif de la plateforme.")
        try:
            source = association_move(actor=operator, association=association,
                                      target=options["target"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        if source == options["target"]:
            self.stdout.write(f"{association.slug} est déjà sur {source}.")
        else:
            self.stdout.write(f"{association.slug} : {source} → {options['target']}.")
