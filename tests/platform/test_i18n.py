"""French first, English second: the English catalogue is complete, compiles without
gettext, and is what an English-speaking visitor reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.tenancy.services import validate_slug
from tests.conftest import World, host_client

ENGLISH_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _forget_loaded_catalogues() -> None:
    # Django (and Python's gettext) keep each catalogue once loaded; this is Django's own
    # reset, run by its autoreloader when a .mo changes.
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> Iterator[None]:
    """Build the .mo files (git-ignored) as a fresh machine does, then load them anew."""
    call_command("compile_translations", verbosity=0)
    _forget_loaded_catalogues()
    yield
    _forget_loaded_catalogues()


def _english_catalogue() -> polib.POFile:
    assert ENGLISH_PO.is_file(), f"{ENGLISH_PO} is missing"
    return polib.pofile(str(ENGLISH_PO))


def test_english_catalogue_is_complete() -> None:
    catalogue = _english_catalogue()
    entries = [entry for entry in catalogue if not entry.obsolete]
    assert entries
    assert catalogue.metadata.get("Language") == "en"
    assert not catalogue.metadata_is_fuzzy
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in entries if not e.msgid_plural and not e.msgstr.strip()] == []

def test_english_catalogue_keeps_every_placeholder() -> None:
    def pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
        if entry.msgid_plural:  # polib keeps plural translations in msgstr_plural
            return [(entry.msgid, entry.msgstr_plural.get(0, "")),
                    (entry.msgid_plural, entry.msgstr_plural.get(1, ""))]
        return [(entry.msgid, entry.msgstr)]

    wrong = [
        (source, translation)
        for entry in _english_catalogue()
        if not entry.obsolete
        for source, translation in pairs(entry)
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation))
    ]
    assert wrong == []


def test_catalogues_compile_without_gettext(monkeypatch: pytest.MonkeyPatch) -> None:
    """No msgfmt on the PATH: the command still builds every .mo (polib only)."""
    monkeypatch.setenv("PATH", "/nonexistent")
    mo = ENGLISH_PO.with_suffix(".mo")
    mo.unlink(missing_ok=True)
    call_command("compile_translations", verbosity=0)
    assert mo.is_file()
    compiled = polib.mofile(str(mo))
    assert len(compiled) == len(_english_catalogue().translated_entries())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("en", "Each association has its own workspace, isolated from the others.",
         "Chaque association dispose de son propre espace"),
        ("fr", "Chaque association dispose de son propre espace, isolé des autres.",
         "Each association has its own workspace"),
    ],
)
def test_landing_page_speaks_the_visitors_language(
    world: World, language: str, expected: str, absent: str
) -> None:
    response = host_client().get("/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert expected in page
    assert absent not in page
    assert ("Sign in" if language == "en" else "Se connecter") in page


def _slug_refusal() -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        validate_slug("www")
    assert caught.value.code == ErrorCode.SLUG_RESERVED
    return caught.value


def test_service_errors_are_translated() -> None:
    with translation.override("fr"):
        french = _slug_refusal().message
    with translation.override("en"):
        english = _slug_refusal().message
    assert french == "L'adresse « www » est réservée : choisissez-en une autre."
    assert english == "The address “www” is reserved: please choose another one."
