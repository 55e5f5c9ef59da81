"""python manage.py association_backup --slug acme --out /backups/acme.dump"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.offboarding.backup import BackupError, association_backup


class Command(BaseCommand):
    help = ("Sauvegarde une association : son schéma (pg_dump, format custom) et un "
            "manifeste JSON (association, domaines, e-mails et rôles des membres).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--out", required=True, type=Path,
                            help="fichier du dump ; le manifeste est écrit à côté")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = association_backup(slug=options["slug"], out=options["out"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"Sauvegarde : {options['out']} (manifeste : {manifest})"))
