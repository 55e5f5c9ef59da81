"""French identifiers: RNA format, SIREN/SIRET Luhn check, La Poste's rule of 5."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboarding.identifiers import (
    Identifier,
    identifier_parse,
    luhn_valid,
    siret_valid,
)
from relier_platform.errors import ApplicationError, ErrorCode


def luhn_complete(body: str) -> str:
    """`body` + the check digit that makes it pass Luhn."""
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError(body)


@pytest.mark.parametrize(("raw", "expected"), [
    ("W751234567", Identifier("rna", "W751234567")),
    ("w 751 234 567", Identifier("rna", "W751234567")),
    ("732 829 320", Identifier("siren", "732829320")),
    ("732.829.320.00074", Identifier("siret", "73282932000074")),
    ("35600000000048", Identifier("siret", "35600000000048")),  # La Poste head office
    ("35600000049837", Identifier("siret", "35600000049837")),  # La Poste: sum 50
])
def test_valid_identifiers_are_normalised(raw: str, expected: Identifier) -> None:
    assert identifier_parse(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Indiquez le numéro RNA, le SIREN ou le SIRET de l'association."),
    ("W12345", "Le numéro RNA « W12345 » n'est pas valide : il commence par W suivi de 9 "
               "chiffres (par exemple W751234567)."),
    ("732829321", "Le SIREN « 732829321 » n'existe pas : sa clé de contrôle est fausse. "
                  "Vérifiez les 9 chiffres."),
    ("73282932000075", "Le SIRET « 73282932000075 » n'existe pas : sa clé de contrôle est "
                       "fausse. Vérifiez les 14 chiffres."),
    ("35600000049838", "Le SIRET « 35600000049838 » n'existe pas : sa clé de contrôle est "
                       "fausse. Vérifiez les 14 chiffres."),
    ("1234567890", "« 1234567890 » compte 10 chiffres : un SIREN en compte 9, un SIRET 14."),
    ("ABC", "« ABC » n'est ni un numéro RNA (W suivi de 9 chiffres), ni un SIREN "
            "(9 chiffres), ni un SIRET (14 chiffres)."),
])
def test_invalid_identifiers_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        identifier_parse(raw)
    assert (caught.value.code, caught.value.field, caught.value.message) == (
        ErrorCode.IDENTIFIER_INVALID, "identifier", message)


def test_a_siret_and_its_siren_are_one_legal_person() -> None:
    assert identifier_parse("73282932000074").identity_key == "732829320"
    assert identifier_parse("732829320").identity_key == "732829320"


@given(st.text(alphabet="0123456789", min_size=8, max_size=8),
       st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_siren_luhn_catches_every_single_digit_typo(body: str, position: int,
                                                   shift: int) -> None:
    siren = luhn_complete(body)
    assert identifier_parse(siren).kind == "siren"
    typo = siren[:position] + str((int(siren[position]) + shift) % 10) + siren[position + 1:]
    assert not luhn_valid(typo)
    with pytest.raises(ApplicationError):
        identifier_parse(typo)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13).filter(
    lambda s: not s.startswith("356000000")))
def test_siret_outside_la_poste_follows_luhn(body: str) -> None:
    siret = luhn_complete(body)
    assert siret_valid(siret)
    assert sum(not siret_valid(body + d) for d in "0123456789") == 9


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_la_poste_siret_valid_when_digits_sum_to_a_multiple_of_5(suffix: str) -> None:
    siret = "356000000" + suffix
    by_five = sum(int(c) for c in siret) % 5 == 0
    assert siret_valid(siret) is (by_five or luhn_valid(siret))
