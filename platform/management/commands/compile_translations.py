"""python manage.py compile_translations — every locale/*/LC_MESSAGES/*.po into its .mo.

Pure Python (polib): no gettext/msgfmt needed on the machine. The .mo files are git-ignored
and built by this command (dev.py runs it; so does the deployment, and the i18n tests).
Fuzzy and untranslated entries are left out of the .mo, as msgfmt does.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogues() -> list[Path]:
    """The project's .po files, under every folder of LOCALE_PATHS."""
    found: list[Path] = []
    for folder in settings.LOCALE_PATHS:
        found.extend(sorted(Path(folder).glob("*/LC_MESSAGES/*.po")))
    return found


def compile_catalogue(po_path: Path) -> Path:
    """Write `po_path`'s .mo next to it (replaced atomically) and return its path."""
    mo_path = po_path.with_suffix(".mo")
    catalogue = polib.pofile(str(po_path))
    fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo.tmp")
    os.close(fd)
    try:
        catalogue.save_as_mofile(tmp_name)
        Path(tmp_name).chmod(0o644)
        Path(tmp_name).replace(mo_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return mo_path


class Command(BaseCommand):
    help = "Compile les catalogues de traduction (.po → .mo) du projet, sans gettext."

    def handle(self, *args: Any, **options: Any) -> None:
        paths = catalogues()
        if not paths:
            raise CommandError("No .po file under LOCALE_PATHS.")
        for po_path in paths:
            try:
                mo_path = compile_catalogue(po_path)
            except (OSError, ValueError) as error:
                raise CommandError(f"{po_path}: {error}") from error
            if options["verbosity"] >= 1:
                self.stdout.write(f"compiled {os.path.relpath(mo_path, settings.BASE_DIR)}")
