"""Template filters: French figures (``{% load mutualise %}{{ amount|euros }}``, ``{{ rate|percent }}``) and forms."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

NBSP = "\u00a0"  # keeps the unit on the same line as its figure


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def euros(value, decimals: int = 2) -> str:
    """``1250000.5`` → ``1 250 000,50 €`` (grouped thousands, decimal comma); empty for no value."""
    number = _decimal(value)
    if number is None:
        return ""
    return f"{number_format(number, decimal_pos=int(decimals), use_l10n=True, force_grouping=True)}{NBSP}€"


@register.filter
def percent(value, decimals: int = 2) -> str:
    """``47.85`` → ``47,85 %``; empty for no value."""
    number = _decimal(value)
    if number is None:
        return ""
    return f"{number_format(number, decimal_pos=int(decimals), use_l10n=True)}{NBSP}%"


@register.filter
def has_required_fields(form) -> bool:
    """Whether a form (or a group of its fields: ``accounts.people_forms.FieldGroup``) shows a required field: the note
    on the asterisk is shown only then (a search form has none)."""
    return any(bound.field.required for bound in form.visible_fields())
