"""French identifiers of an association: RNA number, SIREN, SIRET. Pure functions.

- RNA (Répertoire national des associations): `W` + 9 digits (e.g. W751234567). Older
  associations registered before 2010 may only have a "numéro de dossier"; they are asked
  for their SIREN instead.
- SIREN: 9 digits with the Luhn check. SIRET: SIREN + 5-digit establishment number, 14
  digits with the Luhn check — except La Poste's establishments (SIREN 356 000 000), whose
  SIRETs cannot all satisfy Luhn: INSEE's rule for them is that the sum of the 14 digits is
  a multiple of 5.

Two establishments of one association are the same legal person: `identity_key` maps a
SIRET to its SIREN so that one association cannot sign up twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode

LA_POSTE_SIREN = "356000000"
RNA_RE = re.compile(r"^W\d{9}$")


def identifier_error(message: str) -> ApplicationError:
    return ApplicationError(message, code=ErrorCode.IDENTIFIER_INVALID, field="identifier")


class IdentifierKind:
    RNA = "rna"
    SIREN = "siren"
    SIRET = "siret"


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str

    @property
    def identity_key(self) -> str:
        """The legal person: RNA number, or SIREN (a SIRET's first 9 digits)."""
        return self.value[:9] if self.kind == IdentifierKind.SIRET else self.value


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_valid(digits: str) -> bool:
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith(LA_POSTE_SIREN):
        # La Poste: INSEE's special rule for its establishments; the head office
        # (35600000000048) follows Luhn, not the rule of 5.
        return luhn_valid(digits) or sum(int(c) for c in digits) % 5 == 0
    return luhn_valid(digits)


def siren_valid(digits: str) -> bool:
    return len(digits) == 9 and digits.isdigit() and luhn_valid(digits)


def normalise(raw: str) -> str:
    """Upper case, without the spaces, dots and dashes people type in identifiers."""
    return re.sub(r"[\s.\-\u00a0\u202f]", "", raw or "").upper()


def identifier_parse(raw: str) -> Identifier:
    """Return the identifier, or raise ApplicationError with a message that says what is
    wrong (format or check digit)."""
    value = normalise(raw)
    if not value:
        raise identifier_error(_("Indiquez le numéro RNA, le SIREN ou le SIRET de "
                                 "l'association."))
    if value.startswith("W"):
        if not RNA_RE.match(value):
            raise identifier_error(_(
                "Le numéro RNA « %(value)s » n'est pas valide : il commence par W suivi "
                "de 9 chiffres (par exemple W751234567).") % {"value": value})
        return Identifier(IdentifierKind.RNA, value)
    if not value.isdigit():
        raise identifier_error(_(
            "« %(value)s » n'est ni un numéro RNA (W suivi de 9 chiffres), ni un SIREN "
            "(9 chiffres), ni un SIRET (14 chiffres).") % {"value": value})
    if len(value) == 9:
        if not siren_valid(value):
            raise identifier_error(_(
                "Le SIREN « %(value)s » n'existe pas : sa clé de contrôle est fausse. "
                "Vérifiez les 9 chiffres.") % {"value": value})
        return Identifier(IdentifierKind.SIREN, value)
    if len(value) == 14:
        if not siret_valid(value):
            raise identifier_error(_(
                "Le SIRET « %(value)s » n'existe pas : sa clé de contrôle est fausse. "
                "Vérifiez les 14 chiffres.") % {"value": value})
        return Identifier(IdentifierKind.SIRET, value)
    raise identifier_error(_(
        "« %(value)s » compte %(count)d chiffres : un SIREN en compte 9, un SIRET 14.")
        % {"value": value, "count": len(value)})
