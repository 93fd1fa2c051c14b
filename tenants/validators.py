"""Validation of the identifiers French administrations use: INSEE codes and SIREN numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INSEE_CODE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
SIREN_RE = re.compile(r"^\d{9}$")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that SIREN and SIRET numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siren(value: str) -> None:
    """Raise a French ``ValidationError`` unless ``value`` is 9 digits with a valid Luhn key."""
    if not isinstance(value, str) or not SIREN_RE.match(value):
        raise ValidationError(_("Un numéro SIREN compte exactement 9 chiffres."), code="siren_format")
    if not luhn_valid(value):
        raise ValidationError(_("Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte)."), code="siren_key")


def validate_insee_code(value: str) -> None:
    """Raise a French ``ValidationError`` unless ``value`` is a commune code of the COG (``34114``, ``2A004``)."""
    if not isinstance(value, str) or not INSEE_CODE_RE.match(value):
        raise ValidationError(
            _("Un code INSEE de commune compte 5 caractères : 5 chiffres, ou 2A/2B suivi de 3 chiffres."),
            code="insee_format",
        )
