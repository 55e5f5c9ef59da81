"""python manage.py rotate_field_keys [--schema a_acme ...] [--batch-size 500] [--check]

Re-encrypts every encrypted column with the current key (tenants/keys/rotation.py). Run it
after putting the new SECRET_KEY (or salt) in place and the old one in the fallbacks; see
the README, "Rotating the encryption keys"."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.keys.rotation import DEFAULT_BATCH, rotate_all, rotation_schemas


class Command(BaseCommand):
    help = ("Rechiffre avec la clé actuelle toutes les colonnes chiffrées de chaque schéma "
            "d'association (et du modèle, et de public s'il en a), par lots ; un schéma "
            "contenant une valeur illisible avec toutes les clés connues n'est pas modifié.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", action="append", default=[],
                            help="limiter à ce schéma (répétable)")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
        parser.add_argument("--check", action="store_true",
                            help="vérifier seulement : ne rien écrire")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size doit être au moins 1.")
        known = rotation_schemas()
        schemas = options["schema"] or known
        unknown = sorted(set(schemas) - set(known))
        if unknown:
            raise CommandError(f"Schéma inconnu : {', '.join(unknown)}.")
        write = not options["check"]
        refused = []
        for result in rotate_all(schemas, batch=options["batch_size"], write=write):
            if result.unreadable_count:
                refused.append(result.schema)
                self.stderr.write(
                    f"{result.schema} : {result.unreadable_count} valeur(s) illisible(s) avec "
                    "toutes les clés connues — rien n'a été modifié dans ce schéma.")
                for item in result.unreadable:
                    self.stderr.write(f"  {item.schema}.{item.table} ligne {item.row} "
                                      f"colonne {item.column}")
                continue
            verb = "rechiffrées" if write else "à rechiffrer"
            self.stdout.write(f"{result.schema} : {result.rewritten} valeur(s) {verb}, "
                              f"{result.current} déjà sous la clé actuelle.")
        if refused:
            raise CommandError(
                f"Rotation refusée pour {len(refused)} schéma(s) : {', '.join(refused)}. "
                "Ajoutez la clé manquante à DJANGO_SECRET_KEY_FALLBACKS (ou le sel à "
                "FIELD_ENCRYPTION_SALTS), puis relancez la commande.")
        self.stdout.write(self.style.SUCCESS("Rotation terminée." if write
                                             else "Vérification terminée."))
