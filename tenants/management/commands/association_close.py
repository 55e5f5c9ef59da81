"""Closing an association, by an operator (tenants/offboarding/services.py):

    python manage.py association_close acme --status
    python manage.py association_close acme --request --operator ops@relier.example --retype acme
    python manage.py association_close acme --export        # (re)make the export now
    python manage.py association_close acme --cancel  --operator ops@relier.example
    python manage.py association_close acme --confirm --operator ops@relier.example --retype acme
    python manage.py association_close --due                # grace period over, to confirm

`--confirm` is the second confirmation: refused before the end of the grace period, without
an intact export, or if the address retyped is not the association's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from relier_platform.errors import ApplicationError
from tenants.models import Association, User
from tenants.offboarding import services as offboarding
from tenants.offboarding.backup import BackupError
from tenants.offboarding.export import ExportError


class Command(BaseCommand):
    help = ("Fermeture d'une association : demande, export, annulation, confirmation après "
            "le délai de grâce (suppression du schéma, l'association reste en pierre tombale).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?")
        actions = parser.add_mutually_exclusive_group(required=True)
        for flag in ("--status", "--request", "--export", "--cancel", "--confirm", "--due"):
            actions.add_argument(flag, action="store_true")
        parser.add_argument("--operator", help="e-mail de l'opérateur qui agit")
        parser.add_argument("--retype", default="", help="l'adresse (slug), retapée")

    def _association(self, slug: str | None) -> Association:
        association = Association.objects.exclude(schema_name=get_public_schema_name()).filter(
            slug=slug or "").first()
        if association is None:
            raise CommandError(f"Aucune association « {slug} ».")
        return association

    def _operator(self, email: str | None) -> User:
        user = User.objects.filter(email__iexact=email or "", is_staff=True,
                                   is_active=True).first()
        if user is None:
            raise CommandError("--operator : l'e-mail d'un opérateur actif de la plateforme.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        if options["due"]:
            for association in offboarding.closures_due():
                self.stdout.write(f"{association.slug}\t{association.closure_not_before}")
            return
        association = self._association(options["slug"])
        try:
            self._act(association, options)
        except (ApplicationError, BackupError, ExportError) as error:
            raise CommandError(error.message) from None
        association.refresh_from_db()
        self._status(association)

    def _act(self, association: Association, options: dict[str, Any]) -> None:
        if options["request"]:
            offboarding.association_closure_request(
                actor=self._operator(options["operator"]), association=association,
                slug_typed=options["retype"])
        elif options["export"]:
            offboarding.association_export_build(association_id=association.pk)
        elif options["cancel"]:
            offboarding.association_closure_cancel(actor=self._operator(options["operator"]),
                                                   association=association)
        elif options["confirm"]:
            offboarding.association_closure_confirm(
                actor=self._operator(options["operator"]), association=association,
                slug_typed=options["retype"])

    def _status(self, association: Association) -> None:
        lines = [f"{association.slug} : {association.get_state_display()}"]
        if association.closure_requested_at:
            lines.append(f"  demandée le {timezone.localtime(association.closure_requested_at)} "
                         f"par {association.closure_requested_by}")
            lines.append(f"  confirmable à partir du "
                         f"{timezone.localtime(association.closure_not_before)}"
                         if association.closure_not_before else "")
        if association.export_sha256:
            lines.append(f"  export : {association.export_file} "
                         f"(sha256 {association.export_sha256})")
        if association.closure_confirmed_at:
            lines.append(f"  confirmée le {timezone.localtime(association.closure_confirmed_at)} "
                         f"par {association.closure_confirmed_by}")
        self.stdout.write("\n".join(line for line in lines if line))
