"""Template filters of the Observatoire fiscal: ``{% load fiscal %}{{ ratio|ratio_percent }}``, ``{{ gap|points }}``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()
NBSP = "\u00a0"


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def ratio_percent(value, decimals: int = 1) -> str:
    """``0.0512`` → ``+5,1 %`` (a signed change); ``0.12`` with ``unsigned`` use ``percent``; empty for no value."""
    number = _decimal(value)
    if number is None:
        return ""
    text = number_format(number * 100, decimal_pos=int(decimals), use_l10n=True)
    return f"{'+' if number > 0 else ''}{text}{NBSP}%"


@register.filter
def points(value, decimals: int = 2) -> str:
    """``1.25`` → ``+1,25 pt`` (a gap between two rates); empty for no value."""
    number = _decimal(value)
    if number is None:
        return ""
    text = number_format(number, decimal_pos=int(decimals), use_l10n=True)
    return f"{'+' if number > 0 else ''}{text}{NBSP}pt"
