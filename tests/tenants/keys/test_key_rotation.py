"""Rotation of the keys of the encrypted fields (`rotate_field_keys`): values encrypted
with key A are re-encrypted with key B while A is a fallback, then read with B alone; a
value under a key nobody knows stops its schema, which is left exactly as it was."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from tenants.keys.fields import _derive, encrypted_tables, forget_field_keys
from tenants.models import AuditEntry
from tests.conftest import World
from tests.tracking.factories import log_interaction, make_case
from tracking.models import Case, Interaction

pytestmark = pytest.mark.django_db

KEY_B = "cle-B-pour-les-tests-de-rotation-0123456789abcdef"
KEY_C = "cle-C-que-personne-ne-connait-0123456789abcdef"


@contextmanager
def keys(secret: str, fallbacks: list[str] | None = None,
         salts: list[str] | None = None) -> Iterator[None]:
    """These keys for the fields of this process (they cache theirs), then the old ones."""
    changes: dict[str, object] = {"SECRET_KEY": secret, "SECRET_KEY_FALLBACKS": fallbacks or []}
    if salts is not None:
        changes["SALT_KEY"] = salts
    forget_field_keys()
    try:
        with override_settings(**changes):
            yield
            forget_field_keys()
    finally:
        forget_field_keys()


def raw_values(schema: str) -> dict[tuple[str, object, str], str]:
    """Every stored encrypted value of a schema, as stored: (table, pk, column) → text."""
    found = {}
    with connection.cursor() as cursor:
        for table in encrypted_tables(tenant=True):
            columns = ", ".join(table.columns)
            cursor.execute(f'SELECT {table.pk}, {columns} FROM "{schema}"."{table.table}"')
            for pk, *values in cursor.fetchall():
                for column, value in zip(table.columns, values, strict=True):
                    if value:
                        found[(table.table, pk, column)] = value
    return found


def fernet(secret: str, salt: str | None = None) -> Fernet:
    return Fernet(_derive(secret, salt or settings.SALT_KEY[0]))


def _rotate(*schemas: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_field_keys", *[f"--schema={s}" for s in schemas], "--batch-size=2",
                 stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _write_under_a(world: World) -> tuple[Case, Interaction]:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    for i in range(4):  # more rows than a batch: the keyset pagination is exercised
        make_case(world.acme, admin, first_name=f"Lot-{i}")
    case = make_case(world.acme, admin, first_name="Anouk-A", staff=[psy])
    note = log_interaction(world.acme, psy, "psychologist", case,
                           summary="Entretien", clinical_note="note-clinique-A")
    return case, note


def test_rotation_reencrypts_with_the_new_key_and_old_key_can_go(world: World) -> None:
    key_a = settings.SECRET_KEY
    case, note = _write_under_a(world)
    before = raw_values(world.acme.schema_name)
    assert fernet(key_a).decrypt(before[("tracking_case", case.pk, "first_name")].encode())

    with keys(KEY_B, [key_a]):
        out, _err = _rotate(world.acme.schema_name)
    assert f"{world.acme.schema_name} : {len(before)} valeur(s) rechiffrées" in out

    after = raw_values(world.acme.schema_name)
    assert after.keys() == before.keys()
    for where, token in after.items():
        assert token != before[where], where  # the stored ciphertext changed
        assert fernet(KEY_B).decrypt(token.encode()) == fernet(key_a).decrypt(
            before[where].encode()), where
        with pytest.raises(InvalidToken):
            fernet(key_a).decrypt(token.encode())
    with keys(KEY_B), schema_context(world.acme.schema_name):  # B alone
        assert Case.objects.get(pk=case.pk).first_name == "Anouk-A"
        assert Interaction.objects.get(pk=note.pk).clinical_note == "note-clinique-A"
    assert AuditEntry.objects.filter(action="keys.rotated", association=world.acme,
                                     detail__rewritten=len(before)).exists()

    # Idempotent: a second run (resuming, or run twice) writes nothing.
    with keys(KEY_B, [key_a]):
        out, _err = _rotate(world.acme.schema_name)
    assert f"{world.acme.schema_name} : 0 valeur(s) rechiffrées, {len(before)} déjà" in out
    assert raw_values(world.acme.schema_name) == after


def test_a_new_salt_is_rotated_in_the_same_way(world: World) -> None:
    key_a, old_salt = settings.SECRET_KEY, settings.SALT_KEY[0]
    case, _note = _write_under_a(world)
    with keys(key_a, salts=["relier-fields-v2", old_salt]):
        _rotate(world.acme.schema_name)
    token = raw_values(world.acme.schema_name)[("tracking_case", case.pk, "first_name")]
    assert fernet(key_a, "relier-fields-v2").decrypt(token.encode()) == b"Anouk-A"


def test_a_value_under_an_unknown_key_stops_its_schema_and_changes_nothing(
    world: World,
) -> None:
    key_a = settings.SECRET_KEY
    _write_under_a(world)
    with keys(KEY_C):
        stranger = make_case(world.acme, world.acme_members["admin"], first_name="Cyril-C")
    beta_case = make_case(world.beta, world.beta_admin, first_name="Bêta-A")
    acme_before = raw_values(world.acme.schema_name)
    beta_before = raw_values(world.beta.schema_name)

    out, err = io.StringIO(), io.StringIO()
    with keys(KEY_B, [key_a]), pytest.raises(CommandError) as refused:
        call_command("rotate_field_keys", f"--schema={world.acme.schema_name}",
                     f"--schema={world.beta.schema_name}", "--batch-size=2",
                     stdout=out, stderr=err)
    assert world.acme.schema_name in str(refused.value)
    assert (f"{world.acme.schema_name}.tracking_case ligne {stranger.pk} colonne first_name"
            in err.getvalue())
    # Nothing changed in that schema, not even the rows read before the bad one.
    assert raw_values(world.acme.schema_name) == acme_before
    # The other schema went on.
    beta_after = raw_values(world.beta.schema_name)
    token = beta_after[("tracking_case", beta_case.pk, "first_name")]
    assert token != beta_before[("tracking_case", beta_case.pk, "first_name")]
    assert fernet(KEY_B).decrypt(token.encode()).decode() == "Bêta-A"


def test_check_mode_writes_nothing(world: World) -> None:
    _write_under_a(world)
    before = raw_values(world.acme.schema_name)
    with keys(KEY_B, [settings.SECRET_KEY]):
        out = io.StringIO()
        call_command("rotate_field_keys", f"--schema={world.acme.schema_name}", "--check",
                     stdout=out)
    assert f"{len(before)} valeur(s) à rechiffrer" in out.getvalue()
    assert raw_values(world.acme.schema_name) == before


def test_an_unknown_schema_is_refused(world: World) -> None:
    with pytest.raises(CommandError, match="Schéma inconnu"):
        call_command("rotate_field_keys", "--schema=a_nulle_part")
