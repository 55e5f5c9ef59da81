"""python manage.py association_restore --file /backups/acme.dump --slug acme"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.offboarding.backup import BackupError, association_restore


class Command(BaseCommand):
    help = ("Restaure une association sauvegardée par association_backup. Refuse si son "
            "schéma, son adresse ou un de ses domaines existe déjà : rien n'est écrasé.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, type=Path, help="le fichier du dump")
        parser.add_argument("--slug", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = association_restore(dump=options["file"], slug=options["slug"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"Association « {result.association.name} » restaurée "
            f"({result.memberships} appartenance(s))."))
        for email in result.missing_accounts:
            self.stdout.write(f"Compte absent, appartenance non recréée : {email}")
